//! One attempt at a time per (user, idempotency key). A retry that arrives
//! while the first attempt with its key is still in flight waits for that
//! attempt's answer instead of racing it to the gate (where it would hear
//! "sold out" about the very units its own order is taking). The claim lives
//! in Redis with a deadline, so a process that dies lets go of it; while
//! Redis is unreachable there is no claim, and the order's unique key in
//! Postgres keeps a second order from being made.

use std::time::Duration;

use app::ids::UserId;
use sha2::{Digest, Sha256};

use super::{request::IdempotencyKey, Xid};
use crate::{error::Result, startup::redis::Redis};

/// Deletes the claim only if this attempt still holds it.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

pub struct Claims {
    redis: Redis,
    release: redis::Script,
}

impl Claims {
    pub fn new(redis: Redis) -> Self {
        Self { redis, release: redis::Script::new(RELEASE) }
    }

    fn key(&self, user: UserId, key: &IdempotencyKey) -> String {
        let digest: String = Sha256::digest(key.as_str().as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.redis.keys.order_claim(user, &digest)
    }

    /// Claims the key for the attempt `xid` for at most `ttl`; `false` while
    /// another attempt holds it.
    pub async fn claim(&self, user: UserId, key: &IdempotencyKey, xid: &Xid, ttl: Duration) -> Result<bool> {
        let mut conn = self.redis.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(user, key))
            .arg(xid.as_str())
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        Ok(set.is_some())
    }

    /// Lets go of the claim (a claim that expired or was taken over is left alone).
    pub async fn release(&self, user: UserId, key: &IdempotencyKey, xid: &Xid) {
        let mut conn = self.redis.conn.clone();
        let released: redis::RedisResult<i64> =
            self.release.key(self.key(user, key)).arg(xid.as_str()).invoke_async(&mut conn).await;
        if let Err(err) = released {
            tracing::warn!(error = %err, %xid, "order claim not released; it expires by itself");
        }
    }
}
