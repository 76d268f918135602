//! `LiveOrderStatisticProcessor`: the order stream's consumer group. Each
//! placed order is counted once ([`super::count`]: `live_order_stream`, and
//! through it the view's rollup), enters the room's sliding window, and is
//! told to the owner's event stream as one `order` notice per item; a paid,
//! expired or cancelled order is told to the owner as such.

use std::{collections::HashSet, sync::Mutex};

use app::{
    events::{OrderCreated, OrderEvent, OrderNotice, OrderStatusChanged, RoomEvent},
    ids::LiveId,
};
use sqlx::PgPool;
use tracing::Instrument;

use super::{count, window};
use crate::{
    error::Result,
    events::{Delivery, Fanout, Handler},
    faults::Faults,
    links::chain_span,
    startup::redis::Redis,
};

/// Per-item fan-out ids: `event_id * ITEM_IDS + index` stays unique per
/// (event, item), so a redelivery is told once.
const ITEM_IDS: i64 = 1_000_000;

pub struct LiveOrderStatisticProcessor {
    pub db: PgPool,
    pub redis: Redis,
    pub fanout: Fanout,
    /// `stats_after_count`: the tests kill a consumer between counting an order and acknowledging it.
    pub faults: Faults,
    /// Orders of the current read that `prepare` counted and added to their
    /// rooms' windows together already.
    pub counted: Mutex<HashSet<String>>,
}

impl LiveOrderStatisticProcessor {
    async fn created(&self, event_id: i64, order: &OrderCreated) -> Result<()> {
        let counted = self.counted.lock().expect("lock poisoned").remove(&order.order_sn);
        if !counted {
            count::record(&self.db, &order.order_sn).await?;
            window::add(&self.redis, order.live_id, &order.order_sn, order.time_ms).await?;
        }
        self.faults.hit("stats_after_count").await?;
        for (index, item) in order.goods_items.iter().enumerate() {
            let notice = OrderNotice {
                order_sn: order.order_sn.clone(),
                sku_id: item.sku_id,
                quantity: item.quantity,
                user_id: order.user_id,
                time_ms: order.time_ms,
            };
            self.fanout.publish(order.live_id, event_id * ITEM_IDS + index as i64, &RoomEvent::Order(notice)).await?;
        }
        Ok(())
    }

    async fn changed(&self, event_id: i64, told: RoomEvent, change: &OrderStatusChanged) -> Result<()> {
        self.fanout.publish(change.live_id, event_id * ITEM_IDS, &told).await
    }
}

#[async_trait::async_trait]
impl Handler for LiveOrderStatisticProcessor {
    type Event = OrderEvent;
    const GROUP: &'static str = "order-stats";

    #[tracing::instrument(skip_all, fields(live_id = %delivery.live_id, event_id = delivery.event_id))]
    async fn handle(&self, delivery: &Delivery<OrderEvent>) -> Result<()> {
        let id = delivery.event_id;
        let trace_id = match &delivery.event {
            OrderEvent::Created(order) => order.trace_id.as_deref(),
            OrderEvent::Paid(c) | OrderEvent::Expired(c) | OrderEvent::Cancelled(c) => c.trace_id.as_deref(),
        };
        let span = chain_span("live.stats", trace_id);
        async {
            match &delivery.event {
                OrderEvent::Created(order) => self.created(id, order).await,
                OrderEvent::Paid(c) => self.changed(id, RoomEvent::OrderPaid(c.clone()), c).await,
                OrderEvent::Expired(c) => self.changed(id, RoomEvent::OrderExpired(c.clone()), c).await,
                OrderEvent::Cancelled(c) => self.changed(id, RoomEvent::OrderCancelled(c.clone()), c).await,
            }
        }
        .instrument(span)
        .await
    }

    /// A burst's new orders counted in one transaction (one commit instead
    /// of one per order) and added to their rooms' windows in one round trip;
    /// on failure each is counted and added alone by `handle`.
    async fn prepare(&self, batch: &[Delivery<OrderEvent>]) {
        let created: Vec<(LiveId, &str, i64)> = batch
            .iter()
            .filter_map(|d| match &d.event {
                OrderEvent::Created(order) => Some((order.live_id, order.order_sn.as_str(), order.time_ms)),
                _ => None,
            })
            .collect();
        if created.len() < 2 {
            return;
        }
        let order_sns: Vec<&str> = created.iter().map(|(_, order_sn, _)| *order_sn).collect();
        let together = async {
            count::record_many(&self.db, &order_sns).await?;
            window::add_many(&self.redis, &created).await
        };
        match together.await {
            Ok(()) => {
                let mut counted = self.counted.lock().expect("lock poisoned");
                counted.clear();
                counted.extend(order_sns.into_iter().map(str::to_owned));
            }
            Err(err) => tracing::debug!(error = %err, "a burst not counted together; one by one"),
        }
    }
}
