//! The room pipeline's consumer: for each room event it rebuilds the room's
//! goods cache from Postgres, then tells the room's viewers (fan-out). The
//! rebuild is idempotent and versioned; the fan-out is deduplicated by event id.

use std::sync::Arc;

use super::{
    consumer::{EventHandler, StreamEvent},
    fanout::Fanout,
};
use crate::{goods_cache::GoodsCache, room_cache::RoomCache};

pub const GROUP: &str = "room-cache";

pub struct RoomCacheBuilder {
    pub cache: Arc<RoomCache>,
    pub goods: Arc<GoodsCache>,
    pub fanout: Fanout,
}

#[async_trait::async_trait]
impl EventHandler for RoomCacheBuilder {
    async fn handle(&self, event: &StreamEvent) -> anyhow::Result<()> {
        self.cache.rebuild(event.live_id).await?;
        // The request dropped the product's detail cache already; dropping it
        // again here closes the window where a load read the old stock.
        if event.event_type == "stock" {
            if let Some(spu_id) = event.payload["spu_id"].as_i64().and_then(|id| app::ids::SpuId::new(id).ok()) {
                self.goods.invalidate(spu_id).await;
            }
        }
        self.fanout.publish(event).await
    }
}
