//! The `Catalog` port of the UI: rooms and their goods as viewers see them,
//! read through the room goods cache.

use std::sync::Arc;

use app::{
    deep_link::LinkConfig,
    error::AppError,
    ids::{LiveId, SpuId},
    model::{GoodsPage, RoomSummary, RoomView},
    ports::Catalog,
};
use sqlx::PgPool;

use crate::{events::fanout::Fanout, failure::store_error, goods_cache::GoodsCache, room_cache::RoomCache, rooms};

/// How many live rooms the home page lists.
const HOME_ROOMS: i64 = 50;

pub struct CachedCatalog {
    pub db: PgPool,
    pub cache: Arc<RoomCache>,
    pub fanout: Fanout,
    pub goods: Arc<GoodsCache>,
    pub links: LinkConfig,
}

#[async_trait::async_trait]
impl Catalog for CachedCatalog {
    async fn live_rooms(&self) -> Result<Vec<RoomSummary>, AppError> {
        let mut conn = self.db.acquire().await.map_err(store_error)?;
        rooms::live_rooms(&mut conn, HOME_ROOMS).await.map_err(store_error)
    }

    async fn room_view(&self, live_id: LiveId) -> Result<Option<RoomView>, AppError> {
        // The stream position first: the cache read after it is at least as new,
        // so a viewer resuming from it misses nothing.
        let last_event_id = match self.fanout.last_id(live_id).await {
            Ok(id) => id,
            Err(err) => {
                tracing::warn!(error = %err, "room stream position unavailable");
                "0-0".to_owned()
            }
        };
        let Some(cached) = self.cache.get(live_id).await.map_err(store_error)? else {
            return Ok(None);
        };
        Ok(Some(RoomView { room: cached.room, goods: cached.goods, last_event_id, links: self.links.clone() }))
    }

    async fn goods_page(&self, spu_id: SpuId, live_id: Option<LiveId>) -> Result<Option<GoodsPage>, AppError> {
        let Some(cached) = self.goods.get(spu_id).await? else { return Ok(None) };
        let goods = serde_json::from_str(&cached.json).map_err(store_error)?;
        let sales = match live_id {
            Some(live_id) => crate::orders::sales::shown(&self.db, live_id, spu_id).await?,
            None => Vec::new(),
        };
        Ok(Some(GoodsPage { goods, links: self.links.clone(), sales }))
    }
}
