//! The sign-in lockout: wrong passwords are counted per (account, address), so
//! a stranger guessing from elsewhere can lock out only themselves, never the
//! owner. Five failures lock that address out of that account for 30 s, each
//! further lock within a day for twice as long (capped at an hour). Addresses
//! the account has not signed in from lately also share a per-account budget
//! against guessing from many addresses at once; the owner's own addresses
//! never draw on it.
//!
//! Check and count are atomic: an attempt is admitted (one script) only while
//! the failures so far plus the attempts still being checked stay under the
//! limit, and its outcome is then settled (another script). Concurrent
//! attempts past that wait a moment for the earlier ones to be decided, so
//! none slips past a lock and concurrent right passwords still get in.
//! Switched off by `LIVE_RATE_LIMITS=off`; while Redis is unreachable attempts
//! go through (sign-in must not depend on the cache being up).

use std::{
    net::IpAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use app::error::AppError;
use tokio::time::Instant;

use super::{rate_limit::within_deadline, username::Username};
use crate::startup::redis::Redis;

/// Failures from one address before it is locked out of the account.
const FAILURES_BEFORE_LOCK: u32 = 5;
/// How long failures from one address are remembered without a lock.
const FAILURE_MEMORY_SECS: u64 = 15 * 60;
/// The first lock; each further one within [`STRIKE_MEMORY_SECS`] doubles.
const FIRST_LOCK_SECS: u64 = 30;
const LONGEST_LOCK_SECS: u64 = 3600;
const STRIKE_MEMORY_SECS: u64 = 24 * 3600;
/// Failures to one account from addresses it has not signed in from lately,
/// per window: the cap on guessing from many addresses.
const STRANGER_FAILURES: u32 = 30;
const STRANGER_WINDOW_SECS: u64 = 15 * 60;
/// An attempt not settled within this long (its process died) no longer counts.
const UNDECIDED_TTL_MS: u64 = 10_000;
/// How long an attempt waits for earlier ones to be decided, and how often it looks.
const WAIT_FOR_EARLIER: Duration = Duration::from_secs(3);
const LOOK_AGAIN: Duration = Duration::from_millis(25);

/// KEYS: 1 the address's failures, 2 its lock, 3 its strikes, 4 the strangers'
/// failures, 5 the address's undecided attempts, 6 the strangers' undecided
/// attempts. ARGV: 1 attempt id, 2 now (ms), 3 own address (1/0), 4 failures
/// before a lock, 5 strangers' failures, 6 undecided TTL (ms). Returns `{1}`
/// admitted, `{0, ms}` refused for `ms`, `{2}` wait for earlier attempts.
const ADMIT: &str = r#"
local lock = redis.call('PTTL', KEYS[2])
if lock > 0 then return {0, lock} end
local stale = tonumber(ARGV[2]) - tonumber(ARGV[6])
local own = ARGV[3] == '1'
if not own then
  local spent = tonumber(redis.call('GET', KEYS[4]) or '0')
  if spent >= tonumber(ARGV[5]) then
    local wait = redis.call('PTTL', KEYS[4])
    if wait <= 0 then wait = 1000 end
    return {0, wait}
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', stale)
  if spent + redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[5]) then return {2} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', stale)
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures + redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[4]) then return {2} end
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[5], ARGV[6])
if not own then
  redis.call('ZADD', KEYS[6], ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[6], ARGV[6])
end
return {1}
"#;

/// KEYS as [`ADMIT`]. ARGV: 1 attempt id, 2 outcome (`ok`, `fail`, `drop`),
/// 3 own address (1/0), 4 failures before a lock, 5 failure memory (s), 6 first
/// lock (s), 7 longest lock (s), 8 strike memory (s), 9 strangers' window (s).
const SETTLE: &str = r#"
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
if ARGV[2] == 'ok' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 1
end
if ARGV[2] ~= 'fail' then return 1 end
if ARGV[3] ~= '1' and redis.call('INCR', KEYS[4]) == 1 then redis.call('EXPIRE', KEYS[4], ARGV[9]) end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
if failures >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1])
  local strikes = redis.call('INCR', KEYS[3])
  redis.call('EXPIRE', KEYS[3], ARGV[8])
  local secs = math.min(tonumber(ARGV[6]) * 2 ^ math.min(strikes - 1, 30), tonumber(ARGV[7]))
  redis.call('SET', KEYS[2], strikes, 'EX', string.format('%d', secs))
end
return 1
"#;

/// How an admitted attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    SignedIn,
    WrongPassword,
    /// Never decided (the check itself failed): counts for nothing.
    Abandoned,
}

impl Outcome {
    fn as_arg(self) -> &'static str {
        match self {
            Self::SignedIn => "ok",
            Self::WrongPassword => "fail",
            Self::Abandoned => "drop",
        }
    }
}

/// An attempt admitted by Redis, to be settled once decided.
#[derive(Debug)]
pub struct Attempt {
    id: u64,
    own_address: bool,
}

#[derive(Clone)]
pub struct Lockout {
    redis: Redis,
    enabled: bool,
    admit: redis::Script,
    settle: redis::Script,
}

impl Lockout {
    pub fn new(redis: Redis, enabled: bool) -> Self {
        Self { redis, enabled, admit: redis::Script::new(ADMIT), settle: redis::Script::new(SETTLE) }
    }

    fn invocation<'a>(
        &self,
        script: &'a redis::Script,
        account: &Username,
        addr: IpAddr,
    ) -> redis::ScriptInvocation<'a> {
        let (keys, name) = (&self.redis.keys, account.key());
        let mut call = script.prepare_invoke();
        call.key(keys.sign_in_failures(name, addr))
            .key(keys.sign_in_lock(name, addr))
            .key(keys.sign_in_strikes(name, addr))
            .key(keys.sign_in_strangers(name))
            .key(keys.sign_in_undecided(name, addr))
            .key(keys.sign_in_strangers_undecided(name));
        call
    }

    /// Admits a sign-in attempt to `account` from `addr`: refused, with the
    /// seconds to wait, while `addr` is locked out (or, unless it is the
    /// account's own, while the strangers' budget is spent); 503 if earlier
    /// attempts stay undecided too long. `None` when nothing is counted
    /// (limits off, or Redis unreachable).
    pub async fn admit(
        &self,
        account: &Username,
        addr: IpAddr,
        own_address: bool,
    ) -> Result<Option<Attempt>, AppError> {
        if !self.enabled {
            return Ok(None);
        }
        let attempt = Attempt { id: rand::random(), own_address };
        let deadline = Instant::now() + WAIT_FOR_EARLIER;
        loop {
            let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default();
            let mut call = self.invocation(&self.admit, account, addr);
            call.arg(attempt.id)
                .arg(now_ms)
                .arg(u8::from(own_address))
                .arg(FAILURES_BEFORE_LOCK)
                .arg(STRANGER_FAILURES)
                .arg(UNDECIDED_TTL_MS);
            let mut conn = self.redis.conn.clone();
            let verdict: Option<Vec<u64>> = within_deadline("sign-in lockout", call.invoke_async(&mut conn)).await;
            match verdict.as_deref() {
                None => return Ok(None),
                Some([1]) => return Ok(Some(attempt)),
                Some([0, wait_ms]) => return Err(AppError::rate_limited(wait_ms.div_ceil(1000).max(1))),
                Some(_) if Instant::now() < deadline => tokio::time::sleep(LOOK_AGAIN).await,
                Some(_) => return Err(AppError::Unavailable),
            }
        }
    }

    /// Records how an admitted attempt ended: a wrong password counts (and may
    /// lock the address out), a sign-in clears the address's record.
    pub async fn settle(&self, account: &Username, addr: IpAddr, attempt: Option<Attempt>, outcome: Outcome) {
        let Some(attempt) = attempt else { return };
        let mut call = self.invocation(&self.settle, account, addr);
        call.arg(attempt.id)
            .arg(outcome.as_arg())
            .arg(u8::from(attempt.own_address))
            .arg(FAILURES_BEFORE_LOCK)
            .arg(FAILURE_MEMORY_SECS)
            .arg(FIRST_LOCK_SECS)
            .arg(LONGEST_LOCK_SECS)
            .arg(STRIKE_MEMORY_SECS)
            .arg(STRANGER_WINDOW_SECS);
        let mut conn = self.redis.conn.clone();
        within_deadline::<i64>("sign-in lockout", call.invoke_async(&mut conn)).await;
    }
}
