//! Registration, sign-in and sign-out, for the browser (through the request's
//! session, which also sets the cookie) and for apps (`/api/auth/*`, bearer
//! tokens) alike. `client` is the request's resolved address
//! (`http::ClientAddr`), never the proxy's.

use std::net::IpAddr;

use app::{
    error::{AppError, Reason},
    ids::UserId,
    model::{AuthReply, Role, SessionUser},
};
use sqlx::PgPool;

use super::{
    lockout::{Lockout, Outcome},
    own_addresses,
    password::Hasher,
    rate_limit::{RateLimiter, PER_ADDRESS},
    session,
    session_cache::{RevocationListener, SessionCache},
    username::Username,
};
use crate::error::Result;

pub struct Accounts {
    db: PgPool,
    limiter: RateLimiter,
    lockout: Lockout,
    hasher: Hasher,
    /// Who each token belongs to: a logout drops the token here at once and
    /// in every other process within a second ([`SessionCache`]).
    sessions: SessionCache,
}

const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

fn valid_password(pass: &str) -> Result<(), AppError> {
    if !PASSWORD_CHARS.contains(&pass.chars().count()) {
        let (min, max) = (*PASSWORD_CHARS.start(), *PASSWORD_CHARS.end());
        return Err(AppError::Invalid(Reason::PasswordLength { min, max }));
    }
    Ok(())
}

impl Accounts {
    pub fn new(db: PgPool, limiter: RateLimiter, lockout: Lockout) -> Self {
        Self { db, limiter, lockout, hasher: Hasher::new(), sessions: SessionCache::default() }
    }

    async fn limit_address(&self, client: IpAddr) -> Result<()> {
        Ok(self.limiter.hit("auth-addr", &client.to_string(), PER_ADDRESS).await?)
    }

    #[tracing::instrument(skip(self, pass))]
    pub async fn register(&self, username: &str, pass: &str, role: Role, client: IpAddr) -> Result<AuthReply> {
        self.limit_address(client).await?;
        let username = Username::parse(username)?;
        valid_password(pass)?;
        let hash = self.hasher.hash(pass.to_owned()).await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
             ON CONFLICT ((lower(username))) DO NOTHING RETURNING id",
        )
        .bind(username.as_str())
        .bind(hash)
        .bind(role.as_str())
        .fetch_optional(&self.db)
        .await?;
        let id = id.ok_or(AppError::Conflict(Reason::UsernameTaken))?;
        let user_id = UserId::new(id).map_err(anyhow::Error::from)?;
        own_addresses::record(&self.db, user_id, client).await?;
        let token = session::create(&self.db, user_id).await?;
        Ok(AuthReply { user_id, username: username.as_str().to_owned(), role, token })
    }

    #[tracing::instrument(skip(self, pass))]
    pub async fn login(&self, username: &str, pass: &str, client: IpAddr) -> Result<AuthReply> {
        self.limit_address(client).await?;
        // No account has a malformed name: nothing to check, nothing to lock.
        let username = Username::parse(username).map_err(|_| AppError::Unauthorized)?;
        let row: Option<session::UserRow> =
            sqlx::query_as("SELECT id, username, role, password_hash FROM users WHERE lower(username) = $1")
                .bind(username.key())
                .fetch_optional(&self.db)
                .await?;
        let own_address = match &row {
            Some(user) => own_addresses::is_own(&self.db, user.id, client).await?,
            None => false,
        };
        let attempt = self.lockout.admit(&username, client, own_address).await?;
        let stored = row.as_ref().map(|r| r.password_hash.clone());
        let checked = self.hasher.verify(pass.to_owned(), stored).await;
        let outcome = match checked {
            Ok(true) if row.is_some() => Outcome::SignedIn,
            Ok(_) => Outcome::WrongPassword,
            Err(_) => Outcome::Abandoned,
        };
        self.lockout.settle(&username, client, attempt, outcome).await;
        match row {
            Some(user) if outcome == Outcome::SignedIn => {
                own_addresses::record(&self.db, user.id, client).await?;
                let token = session::create(&self.db, user.id).await?;
                Ok(AuthReply { user_id: user.id, username: user.username, role: user.role, token })
            }
            _ => {
                checked?;
                Err(AppError::Unauthorized.into())
            }
        }
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        session::delete(&self.db, token).await?;
        self.sessions.forget(token).await;
        Ok(())
    }

    /// Whose token this is (a viewer's taps that arrive together read it once).
    pub async fn user(&self, token: &str) -> Result<Option<SessionUser>> {
        self.sessions.user(&self.db, token).await
    }

    /// The loop that hears other processes' sign-outs (one per process).
    pub fn revocation_listener(&self) -> RevocationListener {
        self.sessions.listener(self.db.clone())
    }
}
