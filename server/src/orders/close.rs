//! Closing an unpaid order: cancelled by its buyer, or expired when it was not
//! paid in time ([`Expirer`]). Only a `created` order closes, once, whoever
//! tries at the same moment (the status change is the row's lock); its stock
//! goes back to the record in the same transaction, every room showing the
//! goods is told (the `stock` events that move the cards), the order stream
//! carries `order_expired` / `order_cancelled`, and after the commit the
//! flash-sale gate's counters are corrected from the record, as after any
//! stock change, so the returned units can be sold at once.

use std::{sync::Arc, time::Duration};

use app::{
    events::{OrderEvent, OrderStatusChanged},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::OrderStatus,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::Quantity;
use crate::{
    cache::GoodsCache,
    error::Result,
    events::{enqueue, Relay},
    metrics::Metrics,
    startup::worker::{Step, Worker},
    stock::{self, StockGate},
};

/// How an unpaid order closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Expired,
    Cancelled,
}

impl Closing {
    fn status(self) -> OrderStatus {
        match self {
            Closing::Expired => OrderStatus::Expired,
            Closing::Cancelled => OrderStatus::Cancelled,
        }
    }
}

/// A closed order: where its stock went back.
pub struct Closed {
    pub live_id: LiveId,
    pub rooms: Vec<LiveId>,
    pub skus: Vec<(SpuId, SkuId)>,
}

/// An order as its status change returns it (`RETURNING order_sn, live_id,
/// user_id, total_cents, trace_id, <time> AS at`), for the event that tells it.
#[derive(sqlx::FromRow)]
pub struct ChangedOrder {
    order_sn: String,
    #[sqlx(try_from = "i64")]
    pub live_id: LiveId,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    total_cents: i64,
    trace_id: Option<String>,
    at: DateTime<Utc>,
}

impl ChangedOrder {
    pub fn notice(self) -> OrderStatusChanged {
        OrderStatusChanged {
            order_sn: self.order_sn,
            live_id: self.live_id,
            user_id: self.user_id,
            total_cents: self.total_cents,
            time_ms: self.at.timestamp_millis(),
            trace_id: self.trace_id,
        }
    }
}

/// Closes order `order_id` if it is still unpaid, returning its stock; `None`
/// when it is not (paid, or closed already).
pub async fn close(conn: &mut PgConnection, order_id: i64, how: Closing) -> Result<Option<Closed>> {
    let row: Option<ChangedOrder> = sqlx::query_as(
        "UPDATE orders SET status = $2, closed_at = now() WHERE id = $1 AND status = 'created'
         RETURNING order_sn, live_id, user_id, total_cents, trace_id, closed_at AS at",
    )
    .bind(order_id)
    .bind(how.status().as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = row else { return Ok(None) };
    // SKU rows in id order, as the order transaction takes them: no deadlock.
    let items: Vec<(i64, i64, i32)> =
        sqlx::query_as("SELECT sku_id, spu_id, quantity FROM order_items WHERE order_id = $1 ORDER BY sku_id")
            .bind(order_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut changed = Vec::with_capacity(items.len());
    for (sku, spu, quantity) in items {
        let spu = SpuId::new(spu).map_err(anyhow::Error::from)?;
        let sku = SkuId::new(sku).map_err(anyhow::Error::from)?;
        let quantity = Quantity::try_from(quantity).map_err(anyhow::Error::from)?;
        changed.push((spu, sku, stock::give_back(&mut *conn, sku, quantity).await?));
    }
    let rooms = stock::announce(&mut *conn, &changed).await?;
    let live_id = order.live_id;
    let notice = order.notice();
    let event = match how {
        Closing::Expired => OrderEvent::Expired(notice),
        Closing::Cancelled => OrderEvent::Cancelled(notice),
    };
    enqueue(&mut *conn, live_id, &event).await?;
    Ok(Some(Closed { live_id, rooms, skus: changed.iter().map(|(p, s, _)| (*p, *s)).collect() }))
}

/// What a committed close is followed by: the gate's counters of the
/// returned SKUs corrected in every room showing them, stale goods details
/// dropped, the relay woken. A failure here is left to the periodic reconciler.
#[derive(Clone)]
pub struct Returns {
    pub stock: Arc<StockGate>,
    pub goods_cache: Arc<GoodsCache>,
    pub relay: Relay,
}

impl Returns {
    pub async fn settle(&self, closed: &Closed) {
        self.relay.notify();
        let skus: Vec<SkuId> = closed.skus.iter().map(|(_, sku)| *sku).collect();
        for live_id in &closed.rooms {
            if let Err(err) = self.stock.reconcile_room(*live_id, Some(&skus)).await {
                tracing::warn!(error = %err, %live_id, "gate stock not corrected after a return; the reconciler will");
            }
        }
        for (spu, _) in &closed.skus {
            self.goods_cache.invalidate(*spu).await;
        }
    }
}

/// How many unpaid orders one pass expires at most.
const BATCH: i64 = 100;

/// Expires unpaid orders past their `pay_by`. Every process runs one; each
/// order is taken by one of them (`FOR UPDATE SKIP LOCKED`), and closes once.
pub struct Expirer {
    pub db: PgPool,
    pub returns: Returns,
    pub metrics: Arc<Metrics>,
}

/// One pass; returns the orders it expired.
pub async fn expire_due(db: &PgPool) -> Result<Vec<Closed>> {
    let mut tx = db.begin().await?;
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = 'created' AND pay_by <= now()
          ORDER BY pay_by LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let mut closed = Vec::with_capacity(due.len());
    for id in due {
        closed.extend(close(&mut tx, id, Closing::Expired).await?);
    }
    tx.commit().await?;
    Ok(closed)
}

#[async_trait::async_trait]
impl Worker for Expirer {
    fn name(&self) -> &'static str {
        "unpaid-expirer"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(500)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let closed = expire_due(&self.db).await?;
        for order in &closed {
            tracing::info!(live_id = %order.live_id, "an unpaid order expired; its stock returned");
            self.returns.settle(order).await;
        }
        self.metrics.orders_expired.inc_by(closed.len() as u64);
        Ok(if closed.len() as i64 == BATCH { Step::Busy } else { Step::Idle })
    }
}
