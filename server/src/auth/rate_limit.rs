//! Fixed-window counters in Redis for anti-abuse limits. Switched off by
//! `LIVE_RATE_LIMITS=off`; while Redis is unreachable they let calls through
//! (sign-in must not depend on the cache being up), and a limit waits for
//! Redis only briefly: a dropped connection otherwise holds calls for its
//! reconnection's backoff. A refusal says when the window ends (`Retry-After`).

use std::{
    future::Future,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use app::error::AppError;

use crate::startup::redis::Redis;

/// How long a limit waits for Redis before letting the call through.
const REDIS_DEADLINE: Duration = Duration::from_millis(500);

/// A limit's Redis call, `None` (logged) when Redis fails or does not answer in time.
pub async fn within_deadline<T>(limit: &str, call: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
    match tokio::time::timeout(REDIS_DEADLINE, call).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(err)) => {
            tracing::warn!(limit, error = %err, "Redis unavailable; allowing");
            None
        }
        Err(_) => {
            tracing::warn!(limit, "Redis did not answer in time; allowing");
            None
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: u64,
    pub window_secs: u64,
}

/// Sign-in attempts from one address (register and login together); the
/// contract's floor is 120 a minute.
pub const PER_ADDRESS: Limit = Limit { max: 300, window_secs: 60 };
/// Order attempts per account (never per address: a shop's NAT or a load test
/// sends many accounts' orders from one address).
pub const ORDERS_PER_ACCOUNT: Limit = Limit { max: 120, window_secs: 60 };
/// Rooms one account may create in an hour.
pub const ROOMS_PER_ACCOUNT: Limit = Limit { max: 20, window_secs: 3600 };
/// Products one account may create in an hour.
pub const GOODS_PER_ACCOUNT: Limit = Limit { max: 200, window_secs: 3600 };
/// Click/view beacons from one address: generous, since hundreds of viewers
/// may share one carrier-grade-NAT address.
pub const BEACONS_PER_ADDRESS: Limit = Limit { max: 3000, window_secs: 60 };

#[derive(Clone)]
pub struct RateLimiter {
    redis: Redis,
    enabled: bool,
}

impl RateLimiter {
    pub fn new(redis: Redis, enabled: bool) -> Self {
        Self { redis, enabled }
    }

    /// Counts one hit; refused with the seconds left in the window once the
    /// window's budget is spent.
    pub async fn hit(&self, scope: &str, subject: &str, limit: Limit) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let key = self.redis.keys.rate_limit(scope, subject, now / limit.window_secs);
        let mut conn = self.redis.conn.clone();
        let mut count = redis::pipe();
        count.atomic().incr(&key, 1).expire(&key, limit.window_secs as i64).ignore();
        match within_deadline(scope, count.query_async::<(u64,)>(&mut conn)).await {
            Some((n,)) if n > limit.max => Err(AppError::rate_limited(limit.window_secs - now % limit.window_secs)),
            _ => Ok(()),
        }
    }
}
