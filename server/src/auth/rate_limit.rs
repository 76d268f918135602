//! Fixed-window counters in Redis for anti-abuse limits. Switched off by
//! `LIVE_RATE_LIMITS=off`; while Redis is unreachable they let calls through
//! (sign-in must not depend on the cache being up).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::startup::redis::Redis;

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: u64,
    pub window_secs: u64,
}

/// Sign-in attempts from one address (register and login together); the
/// contract's floor is 120 a minute.
pub const PER_ADDRESS: Limit = Limit { max: 300, window_secs: 60 };
/// Failed logins against one account, whatever the address: stops guessing.
pub const FAILED_LOGINS_PER_ACCOUNT: Limit = Limit { max: 10, window_secs: 300 };
/// Order attempts per account (never per address: a shop's NAT or a load test
/// sends many accounts' orders from one address).
pub const ORDERS_PER_ACCOUNT: Limit = Limit { max: 120, window_secs: 60 };
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

    fn key(&self, scope: &str, subject: &str, limit: Limit) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        self.redis.keys.rate_limit(scope, subject, now / limit.window_secs)
    }

    /// Counts one hit; `false` once the window's budget is spent.
    pub async fn hit(&self, scope: &str, subject: &str, limit: Limit) -> bool {
        if !self.enabled {
            return true;
        }
        let key = self.key(scope, subject, limit);
        let mut conn = self.redis.conn.clone();
        let counted: redis::RedisResult<(u64,)> = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .expire(&key, limit.window_secs as i64)
            .ignore()
            .query_async(&mut conn)
            .await;
        match counted {
            Ok((n,)) => n <= limit.max,
            Err(err) => {
                tracing::warn!(error = %err, "rate limiter unavailable; allowing");
                true
            }
        }
    }

    /// Whether the budget is already spent, without counting.
    pub async fn exhausted(&self, scope: &str, subject: &str, limit: Limit) -> bool {
        if !self.enabled {
            return false;
        }
        let key = self.key(scope, subject, limit);
        let mut conn = self.redis.conn.clone();
        let n: Option<u64> = redis::AsyncCommands::get(&mut conn, &key).await.unwrap_or(None);
        n.is_some_and(|n| n >= limit.max)
    }
}
