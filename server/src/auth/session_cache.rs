//! Who each session token belongs to, kept in the process so that a flash
//! sale's taps do not each ask Postgres: a crowd of buyers asks about once a
//! minute per buyer instead of once per tap (or once a second).
//!
//! A logout must still take effect everywhere within the contract's second.
//! Ending a session records it in `revoked_sessions` in the same statement
//! that deletes it; every process reads the revocations of the last
//! [`WINDOW`] every [`POLL`] ([`RevocationListener`]) and drops those tokens,
//! so a logout is heard everywhere within a poll. Each poll re-reads the
//! whole window, so a lookup that read the session just before it ended and
//! stored it just after the drop is dropped again by the next poll.
//!
//! While the polls are not succeeding (Postgres unreachable, the loop
//! stopped), nothing older than [`TRUSTED_ALONE`] is believed: a session is
//! then read again after a second, as if there were no listener. After an
//! outage, copies made before it are not believed again either (revocations
//! during the gap may have been missed).
//!
//! Hand-written rather than a cache crate's feature: the trust rule (age,
//! or a current listener that covered the entry's whole life) is the point;
//! the storage itself is moka's.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::model::SessionUser;
use moka::future::Cache;
use sqlx::PgPool;

use super::session::{self, TokenDigest};
use crate::{
    error::{Error, Result},
    startup::worker::{Step, Worker},
};

/// A copy younger than this is believed whatever the listener's state: the
/// staleness the contract allows a process that did not end the session.
pub const TRUSTED_ALONE: Duration = Duration::from_secs(1);
/// Longest a copy is kept while the listener is current.
const KEPT: Duration = Duration::from_secs(60);
const MAX_ENTRIES: u64 = 200_000;
/// How often each process reads the revocations.
pub const POLL: Duration = Duration::from_millis(250);
/// How far back each poll reads (and how long a revocation is kept for it).
const WINDOW: Duration = Duration::from_secs(10);
/// The listener is current while its last successful poll is this recent:
/// well under [`TRUSTED_ALONE`], so a logout is heard within the second.
const CURRENT: Duration = Duration::from_millis(750);
/// Polls further apart than this may have missed revocations between them.
const CONTINUOUS: Duration = Duration::from_secs(5);
/// Revocations older than this are deleted (by any process's listener).
const KEPT_IN_POSTGRES: &str = "1 minute";

#[derive(Clone)]
struct Cached {
    user: Option<SessionUser>,
    /// When the lookup began (before its query).
    loaded_at: Instant,
    /// When the session itself expires.
    until: Option<Instant>,
}

/// What the listener has heard: times as milliseconds since `epoch` (0: never).
struct Heard {
    epoch: Instant,
    last_ok: AtomicU64,
    /// The first poll of the current run of continuous polls.
    healthy_since: AtomicU64,
}

impl Heard {
    fn ms(&self, at: Instant) -> u64 {
        // Never 0, which means "never".
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX).max(1)
    }

    fn polled(&self, at: Instant) {
        let now = self.ms(at);
        let last = self.last_ok.swap(now, Ordering::AcqRel);
        if last == 0 || now.saturating_sub(last) > CONTINUOUS.as_millis() as u64 {
            self.healthy_since.store(now, Ordering::Release);
        }
    }

    fn trusts(&self, entry: &Cached, now: Instant) -> bool {
        if entry.until.is_some_and(|until| until <= now) {
            return false;
        }
        if now.saturating_duration_since(entry.loaded_at) < TRUSTED_ALONE {
            return true;
        }
        let (last_ok, since) = (self.last_ok.load(Ordering::Acquire), self.healthy_since.load(Ordering::Acquire));
        let current = last_ok != 0 && self.ms(now).saturating_sub(last_ok) < CURRENT.as_millis() as u64;
        // Every revocation since the entry's lookup was read by a poll of this run.
        let covered = since != 0 && self.ms(entry.loaded_at) + (WINDOW - CONTINUOUS).as_millis() as u64 >= since;
        current && covered
    }
}

/// The process's copies of sessions and what its listener heard.
#[derive(Clone)]
pub struct SessionCache {
    entries: Cache<TokenDigest, Cached>,
    heard: Arc<Heard>,
}

impl Default for SessionCache {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            entries: Cache::builder().max_capacity(MAX_ENTRIES).time_to_live(KEPT).build(),
            heard: Arc::new(Heard { epoch: now, last_ok: AtomicU64::new(0), healthy_since: AtomicU64::new(0) }),
        }
    }
}

impl SessionCache {
    /// The user behind `token`, from the copy when it is believed, else from
    /// Postgres (concurrent lookups of one token read it once).
    pub async fn user(&self, db: &PgPool, token: &str) -> Result<Option<SessionUser>> {
        if !session::well_formed(token) {
            return Ok(None);
        }
        let key = session::digest(token);
        if let Some(entry) = self.entries.get(&key).await {
            if self.heard.trusts(&entry, Instant::now()) {
                return Ok(entry.user);
            }
            self.entries.invalidate(&key).await;
        }
        let load = async {
            let loaded_at = Instant::now();
            let found = session::user_until(db, token).await?;
            let until = found.as_ref().map(|(_, left)| loaded_at + *left);
            Ok::<_, Error>(Cached { user: found.map(|(user, _)| user), loaded_at, until })
        };
        let entry = self.entries.try_get_with(key, load).await.map_err(Error::shared)?;
        Ok(entry.user)
    }

    /// Drops this process's copy at once (the process that ended the session).
    pub async fn forget(&self, token: &str) {
        self.entries.invalidate(&session::digest(token)).await;
    }

    /// The loop that hears every process's revocations.
    pub fn listener(&self, db: PgPool) -> RevocationListener {
        RevocationListener { db, cache: self.clone(), steps: 0 }
    }
}

/// Reads the revocations of the last [`WINDOW`] every [`POLL`] and drops
/// them from this process's copies. Safe in every process at once: each reads
/// for itself; deleting old rows twice is harmless.
pub struct RevocationListener {
    db: PgPool,
    cache: SessionCache,
    steps: u64,
}

#[async_trait::async_trait]
impl Worker for RevocationListener {
    fn name(&self) -> &'static str {
        "session-revocations"
    }

    fn period(&self) -> Duration {
        POLL
    }

    /// Sign-outs must be heard even while the other loops are paused.
    fn pausable(&self) -> bool {
        false
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let started = Instant::now();
        let revoked: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT token_hash FROM revoked_sessions WHERE revoked_at > now() - make_interval(secs => $1)",
        )
        .bind(WINDOW.as_secs_f64())
        .fetch_all(&self.db)
        .await?;
        for hash in revoked {
            if let Ok(key) = TokenDigest::try_from(hash.as_slice()) {
                self.cache.entries.invalidate(&key).await;
            }
        }
        // Only now: every revocation up to this poll's start has been applied.
        self.cache.heard.polled(started);
        self.steps += 1;
        if self.steps % 240 == 1 {
            sqlx::query(&format!(
                "DELETE FROM revoked_sessions WHERE revoked_at < now() - interval '{KEPT_IN_POSTGRES}'"
            ))
            .execute(&self.db)
            .await?;
        }
        Ok(Step::Idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard() -> Heard {
        Heard { epoch: Instant::now(), last_ok: AtomicU64::new(0), healthy_since: AtomicU64::new(0) }
    }

    fn entry(loaded_at: Instant) -> Cached {
        Cached { user: None, loaded_at, until: None }
    }

    #[test]
    fn without_a_listener_a_copy_is_believed_for_a_second_only() {
        let heard = heard();
        let at = heard.epoch + Duration::from_secs(100);
        assert!(heard.trusts(&entry(at), at + Duration::from_millis(900)));
        assert!(!heard.trusts(&entry(at), at + Duration::from_millis(1_100)));
    }

    #[test]
    fn a_current_listener_keeps_copies_made_while_it_listened() {
        let heard = heard();
        let start = heard.epoch + Duration::from_secs(100);
        heard.polled(start);
        let loaded = start + Duration::from_millis(100);
        let mut now = start;
        while now < start + Duration::from_secs(30) {
            now += POLL;
            heard.polled(now);
        }
        assert!(heard.trusts(&entry(loaded), now + Duration::from_millis(100)));
        // The listener fell silent: after CURRENT only young copies count.
        assert!(!heard.trusts(&entry(loaded), now + Duration::from_secs(1)));
    }

    #[test]
    fn copies_from_before_an_outage_are_not_believed_after_it() {
        let heard = heard();
        let start = heard.epoch + Duration::from_secs(100);
        heard.polled(start);
        let before = start + Duration::from_millis(100);
        // Thirty seconds without a successful poll, then polls again.
        let back = start + Duration::from_secs(30);
        heard.polled(back);
        assert!(!heard.trusts(&entry(before), back + Duration::from_millis(100)));
        // A copy made during the outage's last seconds is covered by the first poll after it.
        let late = back - Duration::from_secs(2);
        heard.polled(back + POLL);
        assert!(heard.trusts(&entry(late), back + POLL + Duration::from_millis(100)));
    }

    #[test]
    fn an_expired_session_is_never_believed() {
        let heard = heard();
        let at = heard.epoch + Duration::from_secs(100);
        let expiring = Cached { user: None, loaded_at: at, until: Some(at + Duration::from_millis(10)) };
        assert!(!heard.trusts(&expiring, at + Duration::from_millis(20)));
    }
}
