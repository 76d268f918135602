//! Password hashing with argon2id (salted, PHC string format), run on the
//! blocking pool behind a bound: argon2 is deliberately slow, and a flood of
//! sign-ins must neither stall the async workers that serve orders and event
//! streams nor crowd the machine with hashing threads. At most twice as many
//! hashes as cores run at once; a caller that cannot start within a short
//! wait is answered 503 `unavailable` (try again) instead of queueing.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use app::error::AppError;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Result;

/// How long a sign-in may wait for a free hashing slot.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// A hash of a password nobody has, checked when the user does not exist so
/// that a wrong username takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("no-such-user-password").unwrap_or_default());

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// `false` for a wrong password and for a malformed stored hash alike.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Runs [`hash`] and [`verify`] on the blocking pool, a bounded number at once.
pub struct Hasher {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Hasher {
    /// Two slots per core.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self { slots: Arc::new(Semaphore::new(2 * cores)), wait: SLOT_WAIT }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("every password-hashing slot is busy; refusing");
                Err(AppError::Unavailable.into())
            }
        }
    }

    /// Runs `work` on the blocking pool holding a slot, which is given back
    /// when the work ends even if the caller has gone.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit = self.slot().await?;
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(anyhow::Error::from)?;
        Ok(done)
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        Ok(self.run(move || hash(&password)).await??)
    }

    /// Checks `password` against `stored`, or against a hash nobody's
    /// password matches when there is no such account (same time either way).
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        self.run(move || verify(&password, stored.as_deref().unwrap_or(DUMMY_HASH.as_str()))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse").unwrap();
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn with_every_slot_taken_a_caller_is_told_unavailable_after_the_wait() {
        let hasher = Hasher { slots: Arc::new(Semaphore::new(0)), wait: Duration::from_millis(10) };
        let err = hasher.verify("pw".into(), None).await.unwrap_err();
        assert_eq!(AppError::from(err), AppError::Unavailable);
    }
}
