//! The order transaction: per-user limits, the conditional stock decrement of
//! every item (rows locked in SKU order), the order and its items, the
//! `OrderCreatedEvent` outbox row, the rooms' `stock` events and the order's
//! funnel row, committed together or not at all.

use std::time::Duration;

use app::{
    error::{AppError, Reason},
    events::{OrderCreated, OrderEvent},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::{OrderItem, OrderReceipt, OrderStatus},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

use super::{request::IdempotencyKey, request::ValidOrder, sales::SaleRule, OrderSn, Quantity, Xid};
use crate::{
    error::{Error, OnConstraint},
    events::enqueue,
    faults::Faults,
    goods::SkuRow,
    links::{record_funnel, FunnelEvent, Trace},
    orders::sales,
    rooms, stock,
};

/// Why an attempt did not commit, and whether its reservation may be released.
pub enum Failed {
    /// Before the commit: nothing was written; release the reservation.
    Before(Error),
    /// The commit itself failed: it may have happened; the sweeper settles it by XID.
    Unknown(Error),
}

impl From<Error> for Failed {
    fn from(err: Error) -> Self {
        Failed::Before(err)
    }
}

impl From<AppError> for Failed {
    fn from(err: AppError) -> Self {
        Failed::Before(err.into())
    }
}

impl From<sqlx::Error> for Failed {
    fn from(err: sqlx::Error) -> Self {
        Failed::Before(err.into())
    }
}

/// An order as inserted: what its event says and its buyer's receipt.
pub struct NewOrder {
    pub order_sn: OrderSn,
    pub xid: String,
    pub user: UserId,
    pub live_id: LiveId,
    pub goods_items: Vec<OrderItem>,
    pub total_cents: i64,
    pub created_at: DateTime<Utc>,
    pub pay_by: DateTime<Utc>,
    pub trace_id: Option<String>,
}

impl NewOrder {
    pub fn event(&self) -> OrderEvent {
        OrderEvent::Created(OrderCreated {
            order_sn: self.order_sn.to_string(),
            live_id: self.live_id,
            user_id: self.user,
            goods_items: self.goods_items.clone(),
            xid: self.xid.clone(),
            total_cents: self.total_cents,
            time_ms: self.created_at.timestamp_millis(),
            trace_id: self.trace_id.clone(),
        })
    }

    pub fn receipt(self) -> OrderReceipt {
        OrderReceipt {
            order_sn: self.order_sn.into_string(),
            xid: self.xid,
            status: OrderStatus::Created,
            live_id: self.live_id,
            user_id: self.user,
            goods_items: self.goods_items,
            total_cents: self.total_cents,
            created_at: self.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            pay_by: Some(self.pay_by.to_rfc3339_opts(SecondsFormat::Millis, true)),
            paid_at: None,
        }
    }
}

/// A committed order: its receipt and its event's outbox id.
pub struct Committed {
    pub receipt: OrderReceipt,
    pub outbox_id: i64,
    /// Its group confirms its hold at the gate, publishes its event, wakes
    /// the relay and drops the goods' cached detail (after answering its
    /// buyers); otherwise the attempt does all of it after the commit.
    pub settled: bool,
}

/// What one attempt commits.
pub struct Attempt<'a> {
    pub user: UserId,
    pub key: &'a IdempotencyKey,
    pub xid: &'a Xid,
    pub order: &'a ValidOrder,
    pub skus: &'a [SkuRow],
    pub rules: &'a [SaleRule],
    /// Longest one statement may run; past it the order answers 503.
    pub statement_timeout: Duration,
    /// How long the order may stay unpaid before it expires.
    pub pay_timeout: Duration,
}

#[tracing::instrument(skip_all, fields(xid = %attempt.xid))]
pub async fn commit(db: &PgPool, faults: &Faults, attempt: Attempt<'_>) -> Result<Committed, Failed> {
    let Attempt { user, key, xid, order, skus, rules, statement_timeout, pay_timeout } = attempt;
    faults.hit("after_reserve").await.map_err(Error::from)?;
    let live_id = order.request.live_id;
    let mut tx = db.begin().await?;
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", statement_timeout.as_millis().max(1)))
        .execute(&mut *tx)
        .await?;
    sales::check_limits(&mut tx, user, order, rules).await?;
    let mut total = 0i64;
    // Rows are locked in SKU order, so concurrent multi-item orders cannot deadlock.
    let mut sorted: Vec<(SkuId, Quantity)> = order.items.clone();
    sorted.sort_by_key(|(s, _)| *s);
    let mut left_after: Vec<(SpuId, SkuId, i64)> = Vec::with_capacity(sorted.len());
    for (sku_id, qty) in &sorted {
        let left = stock::take(&mut tx, *sku_id, *qty).await?.ok_or(AppError::SoldOut)?;
        let sku = sku_row(skus, *sku_id)?;
        left_after.push((sku.spu_id, *sku_id, left));
        total += sku.price_cents * qty.wide();
    }
    let (order_id, order_sn, created_at, pay_by): (i64, String, DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO orders (order_sn, xid, user_id, live_id, tracking_code, trace_id, total_cents, idempotency_key,
                             request_hash, pay_by, source_type)
         VALUES (to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || lpad(nextval('order_sn_seq')::text, 12, '0'),
                 $1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9), $10)
         RETURNING id, order_sn, created_at, pay_by",
    )
    .bind(xid.as_str())
    .bind(user.get())
    .bind(live_id.get())
    .bind(&order.request.tracking_code)
    .bind(&order.request.trace_id)
    .bind(total)
    .bind(key.as_str())
    .bind(order.fingerprint())
    .bind(pay_timeout.as_secs_f64())
    .bind(order.request.source_type.as_str())
    .fetch_one(&mut *tx)
    .await
    .on_constraint("orders_idempotency_key", || AppError::Conflict(Reason::IdempotencyInFlight))?;
    let order_sn = OrderSn::try_from(order_sn).map_err(anyhow::Error::from).map_err(Error::from)?;
    for (sku_id, qty) in &order.items {
        let sku = sku_row(skus, *sku_id)?;
        sqlx::query(
            "INSERT INTO order_items (order_id, sku_id, spu_id, quantity, price_cents) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(order_id)
        .bind(sku_id.get())
        .bind(sku.spu_id.get())
        .bind(qty.get())
        .bind(sku.price_cents)
        .execute(&mut *tx)
        .await?;
    }
    let goods_items: Vec<OrderItem> =
        sorted.iter().map(|(sku_id, qty)| OrderItem { sku_id: *sku_id, quantity: qty.wide() }).collect();
    let new_order = NewOrder {
        order_sn,
        xid: xid.to_string(),
        user,
        live_id,
        goods_items,
        total_cents: total,
        created_at,
        pay_by,
        trace_id: order.request.trace_id.clone(),
    };
    let outbox_id = enqueue(&mut tx, live_id, &new_order.event()).await?;
    // Every room showing these goods sees the new stock (no room row is
    // locked: orders in a room do not queue behind each other). A room ended
    // before this read refuses the order; one ended after it raced the order.
    stock::announce(&mut tx, &left_after).await?;
    let selling = rooms::sales(&mut tx, live_id).await?.ok_or_else(|| AppError::not_found("live room"))?;
    selling.admit(order.request.source_type)?;
    let trace = Trace {
        tracking_code: order.request.tracking_code.as_deref(),
        trace_id: order.request.trace_id.as_deref(),
        source: order.request.source_type,
    };
    if let (Some(first), true) = (skus.first(), trace.tracking_code.is_some() || trace.trace_id.is_some()) {
        record_funnel(&mut tx, FunnelEvent::Order, live_id, first.spu_id, &trace).await?;
    }
    tx.commit().await.map_err(|e| Failed::Unknown(e.into()))?;
    Ok(Committed { receipt: new_order.receipt(), outbox_id, settled: false })
}

fn sku_row(skus: &[SkuRow], sku_id: SkuId) -> Result<&SkuRow, Error> {
    skus.iter()
        .find(|k| k.id == sku_id)
        .ok_or_else(|| anyhow::anyhow!("SKU {sku_id} was checked but not loaded").into())
}
