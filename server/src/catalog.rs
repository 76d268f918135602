//! The viewer's catalog, behind the `Catalog` port: the live rooms, a room
//! with its goods as viewers see it (through the room cache), and the web
//! goods page (through the goods cache).
//!
//! Both read the Redis room cache on every call (one round trip; the
//! `goods-list` body is kept there ready-made by each rebuild): the consumer
//! rebuilds it before it tells the viewers, so a viewer that re-reads the
//! room on an event always sees that event. (The anonymous room page has
//! its own whole-page cache in `http`.)

use std::sync::Arc;

use app::{
    error::AppError,
    ids::{LiveId, SpuId},
    model::{GoodsPage, RoomSummary, RoomView},
};
use axum::body::Bytes;
use sqlx::PgPool;

use crate::{
    cache::{GoodsCache, RoomCache},
    error::Result,
    events::Fanout,
    links::Links,
    orders, rooms,
};

/// How many live rooms the home page lists.
const HOME_ROOMS: i64 = 50;

pub struct Catalog {
    db: PgPool,
    cache: Arc<RoomCache>,
    fanout: Fanout,
    goods: Arc<GoodsCache>,
    links: Arc<Links>,
}

impl Catalog {
    pub fn new(db: PgPool, cache: Arc<RoomCache>, fanout: Fanout, goods: Arc<GoodsCache>, links: Arc<Links>) -> Self {
        Self { db, cache, fanout, goods, links }
    }

    /// The `GET /api/live/goods-list` body (`GoodsList` JSON); `None` for an unknown room.
    pub async fn goods_list_json(&self, live_id: LiveId) -> Result<Option<Bytes>> {
        self.cache.goods_list(live_id).await
    }

    async fn load_room_view(&self, live_id: LiveId) -> Result<Option<RoomView>> {
        // The stream position first: the cache read after it is at least as new,
        // so a viewer resuming from it misses nothing.
        let last_event_id = match self.fanout.last_id(live_id).await {
            Ok(id) => id,
            Err(err) => {
                tracing::warn!(error = %err, "room stream position unavailable");
                "0-0".to_owned()
            }
        };
        let Some(cached) = self.cache.get(live_id).await? else { return Ok(None) };
        Ok(Some(RoomView { room: cached.room, goods: cached.goods, last_event_id, links: self.links.router.clone() }))
    }

    async fn load_goods_page(&self, spu_id: SpuId, live_id: Option<LiveId>) -> Result<Option<GoodsPage>> {
        let Some(cached) = self.goods.get(spu_id).await? else { return Ok(None) };
        let goods = serde_json::from_str(&cached.json).map_err(anyhow::Error::from)?;
        let sales = match live_id {
            Some(live_id) => orders::sales_shown(&self.db, live_id, spu_id).await?,
            None => Vec::new(),
        };
        Ok(Some(GoodsPage { goods, links: self.links.router.clone(), sales }))
    }
}

#[async_trait::async_trait]
impl app::ports::Catalog for Catalog {
    async fn live_rooms(&self) -> Result<Vec<RoomSummary>, AppError> {
        let mut conn = self.db.acquire().await.map_err(crate::error::Error::from)?;
        Ok(rooms::live_rooms(&mut conn, HOME_ROOMS).await?)
    }

    async fn replay(&self, live_id: LiveId) -> Result<Option<app::model::Replay>, AppError> {
        let Some(timeline) = crate::video::explaining_timeline(&self.db, live_id).await? else { return Ok(None) };
        let segments = crate::video::recorded_segments(&self.db, live_id).await?;
        Ok(Some(app::model::Replay { timeline: Some(timeline), segments }))
    }

    async fn upcoming_rooms(&self) -> Result<Vec<RoomSummary>, AppError> {
        let mut conn = self.db.acquire().await.map_err(crate::error::Error::from)?;
        Ok(rooms::upcoming_rooms(&mut conn, HOME_ROOMS).await?)
    }

    async fn room_view(&self, live_id: LiveId) -> Result<Option<RoomView>, AppError> {
        Ok(self.load_room_view(live_id).await?)
    }

    async fn goods_page(&self, spu_id: SpuId, live_id: Option<LiveId>) -> Result<Option<GoodsPage>, AppError> {
        Ok(self.load_goods_page(spu_id, live_id).await?)
    }
}
