//! `LiveOrderStatisticProcessor`: the order stream's consumer group. Each
//! order lands once in `live_order_stream` (whatever the redeliveries), in the
//! room's last-minute sorted set `live:{id}:orders`, and on the owner's event
//! stream as `order`.

use redis::AsyncCommands;
use sqlx::PgPool;

use crate::{
    events::{
        consumer::{EventHandler, StreamEvent},
        fanout::Fanout,
    },
    keyspace::Redis,
};

pub const GROUP: &str = "order-stats";

pub struct LiveOrderStatisticProcessor {
    pub db: PgPool,
    pub redis: Redis,
    pub fanout: Fanout,
}

#[async_trait::async_trait]
impl EventHandler for LiveOrderStatisticProcessor {
    async fn handle(&self, event: &StreamEvent) -> anyhow::Result<()> {
        if event.event_type != "order_created" {
            return Ok(());
        }
        let order_sn = event.payload["order_sn"].as_str().unwrap_or_default().to_owned();
        let time_ms = event.payload["time_ms"].as_i64().unwrap_or_default();
        sqlx::query(
            "INSERT INTO live_order_stream (order_sn, live_id, user_id, sku_id, order_quantity, amount_cents, ordered_at)
             SELECT o.order_sn, o.live_id, o.user_id, i.sku_id, i.quantity, i.quantity * i.price_cents, o.created_at
               FROM orders o JOIN order_items i ON i.order_id = o.id
              WHERE o.order_sn = $1
             ON CONFLICT (order_sn, sku_id) DO NOTHING",
        )
        .bind(&order_sn)
        .execute(&self.db)
        .await?;
        let key = format!("{}:orders", self.redis.keys.room_prefix(event.live_id));
        let mut conn = self.redis.conn.clone();
        let _: () = conn.zadd(&key, &order_sn, time_ms).await?;
        // The window the dashboard reads is 60 s; keep an hour for late readers.
        let _: () = conn.zrembyscore(&key, "-inf", time_ms - 3_600_000).await?;
        for (index, item) in event.payload["goods_items"].as_array().into_iter().flatten().enumerate() {
            let mut told = event.clone();
            told.event_type = "order".into();
            told.payload = serde_json::json!({
                "order_sn": order_sn,
                "sku_id": item["sku_id"],
                "quantity": item["quantity"],
                "user_id": event.payload["user_id"],
                "time_ms": time_ms,
            });
            // One fan-out entry per item; the id stays unique per (event, item) for deduplication.
            told.event_id = event.event_id * 1_000_000 + index as i64;
            self.fanout.publish(&told).await?;
        }
        Ok(())
    }
}
