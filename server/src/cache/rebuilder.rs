//! The room pipeline's consumer group: for each room event it rebuilds the
//! room's goods cache from Postgres, then tells the room's viewers (fan-out).
//! The rebuild is idempotent and versioned; the fan-out is deduplicated by
//! event id. A `stock` event the cache already shows (a rebuild for an earlier
//! event of the burst read it too) costs no rebuild: a burst of orders
//! rebuilds the room about once per rebuild's time, not once per order.

use std::sync::Arc;

use app::events::RoomEvent;

use super::{goods::GoodsCache, room::RoomCache};
use crate::{
    error::Result,
    events::{Delivery, Fanout, Handler},
};

/// The group's name (before the key prefix).
pub const GROUP: &str = "room-cache";

pub struct RoomCacheBuilder {
    pub cache: Arc<RoomCache>,
    pub goods: Arc<GoodsCache>,
    pub fanout: Fanout,
}

#[async_trait::async_trait]
impl Handler for RoomCacheBuilder {
    type Event = RoomEvent;
    const GROUP: &'static str = GROUP;

    #[tracing::instrument(skip_all, fields(live_id = %delivery.live_id, event_id = delivery.event_id))]
    async fn handle(&self, delivery: &Delivery<RoomEvent>) -> Result<()> {
        let shown = match &delivery.event {
            RoomEvent::Stock(change) => match self.cache.read(delivery.live_id).await {
                Ok(Some(cached)) => change.version > 0 && cached.shows_stock(change.spu_id, change.version),
                _ => false,
            },
            _ => false,
        };
        if !shown {
            self.cache.rebuild(delivery.live_id).await?;
        }
        // The request dropped the product's detail cache already; dropping it
        // again here closes the window where a load read the old stock.
        if let RoomEvent::Stock(change) = &delivery.event {
            self.goods.invalidate(change.spu_id).await;
        }
        self.fanout.publish(delivery.live_id, delivery.event_id, &delivery.event).await
    }
}
