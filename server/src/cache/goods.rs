//! Level 1 of the goods detail cache: the product as JSON in Redis for
//! about 30 s (jittered, so keys filled together do not expire together),
//! loaded once per key under concurrent misses, and dropped at once when the
//! product or its stock changes. Level 2 is HTTP: the ETag and Cache-Control
//! the handler sets for a shared proxy.
//!
//! A load never overwrites a newer value: every invalidation moves the
//! product's generation on, the loader reads the generation before it reads
//! Postgres, and a script writes the loaded value only if the generation is
//! still the same. A load that read the product before a change cannot put
//! the old value back after the change's invalidation.

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
use crate::{error::Result, faults::Faults, goods, startup::redis::Redis};

pub const TTL: Duration = Duration::from_secs(30);
const JITTER_SECS: u64 = 5;
/// A generation outlives any load by far; it expires only for products not
/// changed in a day (a missing generation reads as the empty string).
const GENERATION_TTL_SECS: i64 = 24 * 60 * 60;

/// `SET` the entry (KEYS[1]) to ARGV[2] for ARGV[3] seconds only if the
/// generation (KEYS[2]) is still ARGV[1], what the loader read before Postgres.
const WRITE_IF_CURRENT: &str = r#"
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"#;

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
    write: redis::Script,
    loading: KeyedLocks<SpuId>,
    loads: AtomicU64,
    /// `goods_cache_write`: between the loader's Postgres read and its Redis write.
    pub faults: Faults,
}

impl GoodsCache {
    pub fn new(db: PgPool, redis: Redis, faults: Faults) -> Self {
        let write = redis::Script::new(WRITE_IF_CURRENT);
        Self { db, redis, write, loading: KeyedLocks::default(), loads: AtomicU64::new(0), faults }
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
        // Before Postgres: an invalidation after this read moves it on.
        let generation = self.generation(spu_id).await;
        let mut conn = self.db.acquire().await?;
        let Some(detail): Option<SpuDetail> = goods::find(&mut conn, spu_id).await? else {
            return Ok(None);
        };
        drop(conn);
        let json = serde_json::to_string(&detail).map_err(anyhow::Error::from)?;
        match self.faults.hit("goods_cache_write").await {
            Ok(()) => self.write_if_current(spu_id, generation, &json).await,
            Err(err) => tracing::warn!(error = %err, %spu_id, "goods cache not written"),
        }
        Ok(Some(CachedGoods::new(json)))
    }

    /// The product's generation (`""` if it has none); `None` while Redis is
    /// unreachable, when nothing is written.
    async fn generation(&self, spu_id: SpuId) -> Option<String> {
        let mut conn = self.redis.conn.clone();
        match conn.get::<_, Option<String>>(self.redis.keys.goods_generation(spu_id)).await {
            Ok(generation) => Some(generation.unwrap_or_default()),
            Err(err) => {
                tracing::warn!(error = %err, %spu_id, "goods cache generation unreadable; serving from Postgres");
                None
            }
        }
    }

    /// Caches `json` unless the product was invalidated since `generation` was read.
    async fn write_if_current(&self, spu_id: SpuId, generation: Option<String>, json: &str) {
        let Some(generation) = generation else { return };
        let ttl = TTL.as_secs() + rand::thread_rng().gen_range(0..=JITTER_SECS);
        let mut redis = self.redis.conn.clone();
        let written: redis::RedisResult<i64> = self
            .write
            .key(self.redis.keys.goods(spu_id))
            .key(self.redis.keys.goods_generation(spu_id))
            .arg(generation)
            .arg(json)
            .arg(ttl)
            .invoke_async(&mut redis)
            .await;
        match written {
            Ok(1) => {}
            Ok(_) => tracing::debug!(%spu_id, "goods changed while loading; the older load is not cached"),
            Err(err) => tracing::warn!(error = %err, %spu_id, "goods cache not written; serving from Postgres"),
        }
    }

    /// Drops the cached product and moves its generation on (after a change
    /// is committed), so a load that read the old product cannot cache it.
    pub async fn invalidate(&self, spu_id: SpuId) {
        let generation = self.redis.keys.goods_generation(spu_id);
        let mut conn = self.redis.conn.clone();
        let done: redis::RedisResult<()> = redis::pipe()
            .atomic()
            .incr(&generation, 1)
            .ignore()
            .expire(&generation, GENERATION_TTL_SECS)
            .ignore()
            .del(self.redis.keys.goods(spu_id))
            .ignore()
            .query_async(&mut conn)
            .await;
        if let Err(err) = done {
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
