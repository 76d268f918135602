//! Level 1 of the goods detail cache: the product as JSON in Redis for
//! about 30 s (jittered, so keys filled together do not expire together),
//! loaded once per key under concurrent misses, and dropped at once when the
//! product or its stock changes. Level 2 is HTTP: the ETag and Cache-Control
//! the handler sets for a shared proxy.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use app::{ids::SpuId, model::SpuDetail};
use rand::Rng;
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::single_flight::KeyedLocks;
use crate::{error::Result, goods, startup::redis::Redis};

pub const TTL: Duration = Duration::from_secs(30);
const JITTER_SECS: u64 = 5;

/// A product as served: its JSON and that JSON's entity tag.
#[derive(Clone, Debug)]
pub struct CachedGoods {
    pub json: String,
    pub etag: String,
}

impl CachedGoods {
    fn new(json: String) -> Self {
        let digest = Sha256::digest(json.as_bytes());
        let etag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
        Self { json, etag }
    }
}

pub struct GoodsCache {
    db: PgPool,
    redis: Redis,
    loading: KeyedLocks<SpuId>,
    loads: AtomicU64,
}

impl GoodsCache {
    pub fn new(db: PgPool, redis: Redis) -> Self {
        Self { db, redis, loading: KeyedLocks::default(), loads: AtomicU64::new(0) }
    }

    /// How many times this process loaded a product from Postgres.
    pub fn load_count(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    async fn read(&self, spu_id: SpuId) -> Option<CachedGoods> {
        let mut conn = self.redis.conn.clone();
        let json: Option<String> = conn.get(self.redis.keys.goods(spu_id)).await.ok()?;
        json.map(CachedGoods::new)
    }

    /// The product, from Redis or else from Postgres; `None` if it does not exist.
    pub async fn get(&self, spu_id: SpuId) -> Result<Option<CachedGoods>> {
        if let Some(hit) = self.read(spu_id).await {
            return Ok(Some(hit));
        }
        let _loading = self.loading.lock(spu_id).await;
        if let Some(hit) = self.read(spu_id).await {
            return Ok(Some(hit));
        }
        self.loads.fetch_add(1, Ordering::Relaxed);
        let mut conn = self.db.acquire().await?;
        let Some(detail): Option<SpuDetail> = goods::find(&mut conn, spu_id).await? else {
            return Ok(None);
        };
        let json = serde_json::to_string(&detail).map_err(anyhow::Error::from)?;
        let ttl = TTL.as_secs() + rand::thread_rng().gen_range(0..=JITTER_SECS);
        let mut redis = self.redis.conn.clone();
        if let Err(err) = redis.set_ex::<_, _, ()>(self.redis.keys.goods(spu_id), &json, ttl).await {
            tracing::warn!(error = %err, %spu_id, "goods cache not written; serving from Postgres");
        }
        Ok(Some(CachedGoods::new(json)))
    }

    /// Drops the cached product (after a change is committed).
    pub async fn invalidate(&self, spu_id: SpuId) {
        let mut conn = self.redis.conn.clone();
        if let Err(err) = conn.del::<_, ()>(self.redis.keys.goods(spu_id)).await {
            tracing::warn!(error = %err, %spu_id, "goods cache invalidation failed; it expires within 35 s");
        }
    }
}

/// `If-None-Match` matches `etag` under weak comparison (a proxy's gzip may
/// have weakened the tag): `W/` prefixes are ignored, `*` matches anything.
pub fn matches_if_none_match(header: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    header.split(',').any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let etag = "\"abc\"";
        assert!(matches_if_none_match("\"abc\"", etag));
        assert!(matches_if_none_match("W/\"abc\"", etag));
        assert!(matches_if_none_match("\"x\", W/\"abc\"", etag));
        assert!(matches_if_none_match("*", etag));
        assert!(!matches_if_none_match("\"abcd\"", etag));
        assert!(!matches_if_none_match("", etag));
    }

    #[test]
    fn the_etag_follows_the_content() {
        assert_eq!(CachedGoods::new("{}".into()).etag, CachedGoods::new("{}".into()).etag);
        assert_ne!(CachedGoods::new("{}".into()).etag, CachedGoods::new("{ }".into()).etag);
    }
}
