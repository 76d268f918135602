//! The room goods cache in Redis: what the viewer room and `goods-list` read.
//!
//! Only the room-events consumer and rebuilds write it, always from Postgres
//! (the record), tagged with the room's `goods_version` and the sum of its
//! products' stock versions (orders move only the latter; both only grow while
//! the bound goods stay the same, and binding moves the former): a rebuild
//! that read an older state never overwrites a newer one. A miss rebuilds the
//! room once per process however many requests missed together.

use std::sync::atomic::{AtomicU64, Ordering};

use app::{
    ids::LiveId,
    model::{GoodsCard, GoodsList, Room},
};
use axum::body::Bytes;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::single_flight::KeyedLocks;
use crate::{error::Result, rooms, startup::redis::Redis, video::VideoUrls};

/// What is cached per room.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedRoom {
    pub version: i64,
    pub room: Room,
    pub goods: Vec<GoodsCard>,
}

impl CachedRoom {
    /// The sum of the cards' stock versions: grows with every stock change.
    pub fn stock_versions(&self) -> i64 {
        self.goods.iter().map(|card| card.stock_version).sum()
    }

    /// Whether this snapshot already shows a product's stock at `version`.
    pub fn shows_stock(&self, spu_id: app::ids::SpuId, version: i64) -> bool {
        self.goods.iter().any(|card| card.spu_id == spu_id && card.stock_version >= version)
    }
}

/// Writes `data` (ARGV[2]) and the `goods-list` body made from it (`list`,
/// ARGV[4]) unless the cache already holds a newer snapshot: ordered by the
/// goods version (ARGV[1]), then the stock versions' sum (ARGV[3]).
const WRITE_IF_NEWER: &str = r#"
local held = redis.call('HMGET', KEYS[1], 'v', 'sv')
local v, sv = tonumber(held[1]), tonumber(held[2] or '0')
local nv, nsv = tonumber(ARGV[1]), tonumber(ARGV[3])
if v and (v > nv or (v == nv and sv > nsv)) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'sv', ARGV[3], 'data', ARGV[2], 'list', ARGV[4])
return 1
"#;

pub struct RoomCache {
    db: PgPool,
    redis: Redis,
    urls: VideoUrls,
    write: redis::Script,
    loading: KeyedLocks<LiveId>,
    rebuilds: AtomicU64,
}

impl RoomCache {
    pub fn new(db: PgPool, redis: Redis, urls: VideoUrls) -> Self {
        Self {
            db,
            redis,
            urls,
            write: redis::Script::new(WRITE_IF_NEWER),
            loading: KeyedLocks::default(),
            rebuilds: AtomicU64::new(0),
        }
    }

    /// How many rebuilds this process has done (metrics and tests).
    pub fn rebuild_count(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    /// The cached room, rebuilding it from Postgres on a miss; `None` for an
    /// unknown room. Falls back to Postgres alone while Redis is unreachable.
    pub async fn get(&self, live_id: LiveId) -> Result<Option<CachedRoom>> {
        if let Ok(Some(hit)) = self.read(live_id).await {
            return Ok(Some(hit));
        }
        let _loading = self.loading.lock(live_id).await;
        // Whoever held the lock before us may have filled the cache.
        match self.read(live_id).await {
            Ok(Some(hit)) => Ok(Some(hit)),
            _ => self.rebuild(live_id).await,
        }
    }

    /// The cached entry; one this build cannot read (written by another
    /// version) counts as a miss and is rebuilt.
    pub async fn read(&self, live_id: LiveId) -> Result<Option<CachedRoom>> {
        let mut conn = self.redis.conn.clone();
        let data: Option<String> = conn.hget(self.redis.keys.room_goods(live_id), "data").await?;
        Ok(data.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The `GET /api/live/goods-list` body as the last rebuild wrote it (one
    /// Redis round trip, no JSON work); a miss, or an entry written before
    /// the body was kept, goes through [`RoomCache::get`]. `None` for an
    /// unknown room.
    pub async fn goods_list(&self, live_id: LiveId) -> Result<Option<Bytes>> {
        let mut conn = self.redis.conn.clone();
        let kept: redis::RedisResult<Option<Vec<u8>>> = conn.hget(self.redis.keys.room_goods(live_id), "list").await;
        if let Ok(Some(body)) = kept {
            return Ok(Some(Bytes::from(body)));
        }
        match self.get(live_id).await? {
            Some(room) => Ok(Some(goods_list_json(live_id, &room)?)),
            None => Ok(None),
        }
    }

    /// Reads the room from Postgres and writes it to the cache unless a newer
    /// version is there; `None` (and the cache entry removed) for an unknown room.
    pub async fn rebuild(&self, live_id: LiveId) -> Result<Option<CachedRoom>> {
        self.rebuilds.fetch_add(1, Ordering::Relaxed);
        let Some(fresh) = load(&self.db, &self.urls, live_id).await? else {
            let mut conn = self.redis.conn.clone();
            let _: redis::RedisResult<()> = conn.del(self.redis.keys.room_goods(live_id)).await;
            return Ok(None);
        };
        let mut conn = self.redis.conn.clone();
        let written: redis::RedisResult<i64> = self
            .write
            .key(self.redis.keys.room_goods(live_id))
            .arg(fresh.version)
            .arg(serde_json::to_string(&fresh).map_err(anyhow::Error::from)?)
            .arg(fresh.stock_versions())
            .arg(goods_list_json(live_id, &fresh)?.as_ref())
            .invoke_async(&mut conn)
            .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, %live_id, "room cache not written; serving from Postgres");
        }
        Ok(Some(fresh))
    }

    /// Rebuilds every room's cache from Postgres; returns how many rooms.
    pub async fn rebuild_all(&self) -> Result<usize> {
        let ids = rooms::all_ids(&self.db).await?;
        for live_id in &ids {
            self.rebuild(*live_id).await?;
        }
        Ok(ids.len())
    }
}

/// The `goods-list` body (`GoodsList` JSON) of a snapshot.
fn goods_list_json(live_id: LiveId, room: &CachedRoom) -> Result<Bytes> {
    let list = GoodsList { live_id, goods: room.goods.clone() };
    Ok(Bytes::from(serde_json::to_vec(&list).map_err(anyhow::Error::from)?))
}

/// One consistent snapshot of a room, its version and its cards.
async fn load(db: &PgPool, urls: &VideoUrls, live_id: LiveId) -> Result<Option<CachedRoom>> {
    let mut tx = db.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let Some((room, version)) = rooms::find_with_version(&mut tx, urls, live_id).await? else {
        return Ok(None);
    };
    let goods = rooms::goods_cards(&mut tx, live_id).await?;
    tx.commit().await?;
    Ok(Some(CachedRoom { version, room, goods }))
}
