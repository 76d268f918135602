//! `LiveOrderStatisticProcessor`: the order stream's consumer group. Each
//! order lands once in `live_order_stream` (whatever the redeliveries), in the
//! room's last-hour sorted set (the dashboard's sliding window), and on the
//! owner's event stream as one `order` notice per item.

use app::events::{OrderCreated, OrderEvent, OrderNotice, RoomEvent};
use redis::AsyncCommands;
use sqlx::PgPool;

use crate::{
    error::Result,
    events::{Delivery, Fanout, Handler},
    startup::redis::Redis,
};

/// How long the room's sorted set keeps an order: the dashboard reads the
/// last 60 s; the rest is for late readers.
const WINDOW_KEPT_MS: i64 = 3_600_000;
/// Per-item fan-out ids: `event_id * ITEM_IDS + index` stays unique per
/// (event, item), so a redelivery is told once.
const ITEM_IDS: i64 = 1_000_000;

pub struct LiveOrderStatisticProcessor {
    pub db: PgPool,
    pub redis: Redis,
    pub fanout: Fanout,
}

impl LiveOrderStatisticProcessor {
    async fn created(&self, event_id: i64, order: &OrderCreated) -> Result<()> {
        sqlx::query(
            "INSERT INTO live_order_stream (order_sn, live_id, user_id, sku_id, order_quantity, amount_cents, ordered_at)
             SELECT o.order_sn, o.live_id, o.user_id, i.sku_id, i.quantity, i.quantity * i.price_cents, o.created_at
               FROM orders o JOIN order_items i ON i.order_id = o.id
              WHERE o.order_sn = $1
             ON CONFLICT (order_sn, sku_id) DO NOTHING",
        )
        .bind(&order.order_sn)
        .execute(&self.db)
        .await?;
        let key = self.redis.keys.room_orders(order.live_id);
        let mut conn = self.redis.conn.clone();
        let _: () = conn.zadd(&key, &order.order_sn, order.time_ms).await?;
        let _: () = conn.zrembyscore(&key, "-inf", order.time_ms - WINDOW_KEPT_MS).await?;
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
}

#[async_trait::async_trait]
impl Handler for LiveOrderStatisticProcessor {
    type Event = OrderEvent;
    const GROUP: &'static str = "order-stats";

    #[tracing::instrument(skip_all, fields(live_id = %delivery.live_id, event_id = delivery.event_id))]
    async fn handle(&self, delivery: &Delivery<OrderEvent>) -> Result<()> {
        match &delivery.event {
            OrderEvent::Created(order) => self.created(delivery.event_id, order).await,
        }
    }
}
