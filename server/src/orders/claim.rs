//! One attempt at a time per (user, idempotency key). A retry that arrives
//! while the first attempt with its key is still in flight waits for that
//! attempt's answer instead of racing it to the gate (where it would hear
//! "sold out" about the very units its own order is taking). The claim lives
//! in Redis with a deadline, so a process that dies lets go of it; while
//! Redis is unreachable there is no claim, and the order's unique key in
//! Postgres keeps a second order from being made.
//!
//! The claim's key outlives its attempt by a day (its value says whether an
//! attempt is in flight, and until when): a key that was never claimed is
//! one no order can exist for, so a new order skips the look in Postgres and
//! a sold-out request skips everything but this one `EXISTS`.

use std::{fmt::Write as _, time::Duration};

use app::ids::UserId;
use sha2::{Digest, Sha256};

use super::{request::IdempotencyKey, Xid};
use crate::{error::Result, startup::redis::Redis};

/// Claims KEYS[1] for the attempt ARGV[1] for ARGV[2] ms, keeping the key
/// ARGV[3] s. The value is `<xid> <deadline ms>` while an attempt is in
/// flight, `done` after. Returns 0 while another attempt holds it, 1 for a
/// key never claimed, 2 for one an earlier attempt finished (or abandoned).
const CLAIM: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
if v then
  local deadline = tonumber(string.match(v, ' (%d+)$'))
  if deadline and deadline > now then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. (now + tonumber(ARGV[2])), 'EX', ARGV[3])
if v then return 2 end
return 1
"#;

/// Marks the attempt ARGV[1] done, if it still holds the claim.
const RELEASE: &str = r#"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then
  redis.call('SET', KEYS[1], 'done', 'KEEPTTL')
  return 1
end
return 0
"#;

/// How long a key is remembered as used: a retry later than this of an order
/// that exists still gets it, from Postgres (the order's unique key).
const REMEMBERED: Duration = Duration::from_secs(24 * 60 * 60);

/// What claiming a key found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Claimed; no attempt used the key before (no order can exist for it).
    Fresh,
    /// Claimed; an earlier attempt used the key (its order may exist).
    Used,
    /// Another attempt with the key is in flight.
    InFlight,
}

pub struct Claims {
    redis: Redis,
    claim: redis::Script,
    release: redis::Script,
}

impl Claims {
    pub fn new(redis: Redis) -> Self {
        Self { redis, claim: redis::Script::new(CLAIM), release: redis::Script::new(RELEASE) }
    }

    fn key(&self, user: UserId, key: &IdempotencyKey) -> String {
        let mut digest = String::with_capacity(32);
        for byte in &Sha256::digest(key.as_str().as_bytes())[..16] {
            let _ = write!(digest, "{byte:02x}");
        }
        self.redis.keys.order_claim(user, &digest)
    }

    /// Claims the key for the attempt `xid` for at most `ttl`.
    pub async fn claim(&self, user: UserId, key: &IdempotencyKey, xid: &Xid, ttl: Duration) -> Result<Claim> {
        let mut conn = self.redis.conn.clone();
        let found: i64 = self
            .claim
            .key(self.key(user, key))
            .arg(xid.as_str())
            .arg(ttl.as_millis() as u64)
            .arg(REMEMBERED.as_secs())
            .invoke_async(&mut conn)
            .await?;
        Ok(match found {
            0 => Claim::InFlight,
            1 => Claim::Fresh,
            _ => Claim::Used,
        })
    }

    /// Whether any attempt ever used this key (within [`REMEMBERED`]).
    pub async fn used(&self, user: UserId, key: &IdempotencyKey) -> Result<bool> {
        let mut conn = self.redis.conn.clone();
        Ok(redis::AsyncCommands::exists(&mut conn, self.key(user, key)).await?)
    }

    /// Lets go of the claim, remembering the key as used (a claim that
    /// expired or was taken over is left alone).
    pub async fn release(&self, user: UserId, key: &IdempotencyKey, xid: &Xid) {
        let mut conn = self.redis.conn.clone();
        let released: redis::RedisResult<i64> =
            self.release.key(self.key(user, key)).arg(xid.as_str()).invoke_async(&mut conn).await;
        if let Err(err) = released {
            tracing::warn!(error = %err, %xid, "order claim not released; it expires by itself");
        }
    }
}
