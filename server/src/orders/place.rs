//! Placing an order: one code path behind `POST /api/orders` and the web
//! page's server function.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::{OrderItem, OrderReceipt, OrderRequest},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::Semaphore;

use super::{
    faults::Faults,
    gate::{Gate, Reserve},
    publish::Publisher,
    request::{self, ValidOrder},
    sales,
};
use crate::{
    auth::rate_limit::{RateLimiter, ORDERS_PER_ACCOUNT},
    events::{outbox, relay::Relay, Stream},
    failure::store_error,
    goods,
    goods_cache::GoodsCache,
};

/// While Redis is unreachable Postgres decides alone, this many orders at once.
const PG_ONLY_CONCURRENCY: usize = 8;
const PG_ONLY_WAIT: Duration = Duration::from_millis(500);
/// Longest an order transaction may take; the sweeper waits longer than this.
pub const ATTEMPT_DEADLINE: Duration = Duration::from_secs(20);

/// Why an attempt did not commit, and whether its reservation may be released.
enum Failed {
    /// Before the commit: nothing was written; release the reservation.
    Before(AppError),
    /// The commit itself failed: it may have happened; leave it to the sweeper.
    Unknown(AppError),
}

impl From<AppError> for Failed {
    fn from(err: AppError) -> Self {
        Failed::Before(err)
    }
}

pub struct Orders {
    pub db: PgPool,
    pub gate: Gate,
    pub publisher: Publisher,
    pub relay: Arc<Relay>,
    pub goods_cache: Arc<GoodsCache>,
    pub faults: Faults,
    pub limiter: RateLimiter,
    /// Set when the gate failed; cleared once Redis answers again and its
    /// stock was rebuilt from Postgres.
    pub redis_degraded: Arc<AtomicBool>,
    pg_only: Semaphore,
}

#[async_trait::async_trait]
impl app::ports::Ordering for Orders {
    async fn place(
        &self,
        user: &app::model::SessionUser,
        key: &str,
        request: OrderRequest,
    ) -> Result<OrderReceipt, AppError> {
        let key = super::request::idempotency_key(Some(key))?;
        match Orders::place(self, user.user_id, &key, request).await? {
            Placed::Created(receipt) | Placed::Existing(receipt) => Ok(receipt),
        }
    }
}

/// The outcome of one attempt.
pub enum Placed {
    Created(OrderReceipt),
    /// The same idempotency key and body again: the order it made.
    Existing(OrderReceipt),
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    order_sn: String,
    xid: String,
    status: String,
    live_id: i64,
    user_id: i64,
    total_cents: i64,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SkuRow {
    id: i64,
    spu_id: i64,
    price_cents: i64,
    stock: i32,
}

fn xid() -> String {
    format!("xid-{}", crate::auth::session::mint_token().get(..32).unwrap_or_default())
}

impl Orders {
    pub fn new(
        db: PgPool,
        gate: Gate,
        publisher: Publisher,
        relay: Arc<Relay>,
        goods_cache: Arc<GoodsCache>,
        faults: Faults,
        limiter: RateLimiter,
    ) -> Self {
        Self {
            db,
            gate,
            publisher,
            relay,
            goods_cache,
            faults,
            limiter,
            redis_degraded: Arc::new(AtomicBool::new(false)),
            pg_only: Semaphore::new(PG_ONLY_CONCURRENCY),
        }
    }

    /// Places `request` for `user` under `key`.
    #[tracing::instrument(skip_all, fields(user = %user, live_id = %request.live_id, xid))]
    pub async fn place(&self, user: UserId, key: &str, request: OrderRequest) -> Result<Placed, AppError> {
        if !self.limiter.hit("orders", &user.to_string(), ORDERS_PER_ACCOUNT).await {
            return Err(AppError::RateLimited);
        }
        let order = request::validate(request)?;
        if let Some(existing) = self.existing(user, key, &order.fingerprint).await? {
            return Ok(Placed::Existing(existing));
        }
        let live_id = order.request.live_id;
        let skus = self.bound_skus(live_id, &order).await?;
        let rules = self.sale_rules(live_id, &order).await?;

        let xid = xid();
        tracing::Span::current().record("xid", xid.as_str());
        let reserved = if self.redis_degraded.load(Ordering::Relaxed) {
            None
        } else {
            self.reserve(live_id, &xid, &order, &skus).await?
        };
        let _permit = match reserved {
            Some(()) => None,
            // Redis unreachable: Postgres decides alone, a bounded number at once.
            None => Some(
                tokio::time::timeout(PG_ONLY_WAIT, self.pg_only.acquire())
                    .await
                    .map_err(|_| AppError::Unavailable)?
                    .map_err(|_| AppError::Unavailable)?,
            ),
        };
        // The attempt cannot outlive the sweeper's patience: dropping the
        // transaction at the deadline rolls it back.
        let outcome =
            match tokio::time::timeout(ATTEMPT_DEADLINE, self.commit(user, key, &xid, &order, &skus, &rules)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Failed::Before(AppError::Unavailable)),
            };
        match outcome {
            Ok((receipt, outbox_id)) => {
                if reserved.is_some() {
                    if let Err(err) = self.gate.confirm(live_id, &xid).await {
                        tracing::warn!(error = %err, %xid, "confirm failed; the sweeper will confirm it");
                    }
                }
                self.after_commit(&receipt, outbox_id, &skus).await;
                Ok(Placed::Created(receipt))
            }
            Err(failed) => {
                let err = match failed {
                    Failed::Before(err) => {
                        if reserved.is_some() {
                            // Level 1: the attempt never committed; give the stock back.
                            if let Err(release_err) = self.gate.release(live_id, &xid).await {
                                tracing::warn!(error = %release_err, %xid, "release failed; the sweeper will release it");
                            }
                        }
                        err
                    }
                    // The commit's outcome is unknown: the sweeper settles it by XID.
                    Failed::Unknown(err) => err,
                };
                // A concurrent duplicate with this key may have committed first
                // (it then explains our conflict, sold-out or limit answer).
                if let Some(existing) = self.existing(user, key, &order.fingerprint).await? {
                    return Ok(Placed::Existing(existing));
                }
                Err(err)
            }
        }
    }

    /// The order a previous attempt with this key made; 409 if its body differed.
    async fn existing(&self, user: UserId, key: &str, fingerprint: &str) -> Result<Option<OrderReceipt>, AppError> {
        let found: Option<(String, String)> =
            sqlx::query_as("SELECT order_sn, request_hash FROM orders WHERE user_id = $1 AND idempotency_key = $2")
                .bind(user.get())
                .bind(key)
                .fetch_optional(&self.db)
                .await
                .map_err(store_error)?;
        match found {
            None => Ok(None),
            Some((_, hash)) if hash != fingerprint => Err(AppError::Conflict(Reason::IdempotencyReused)),
            Some((order_sn, _)) => self.receipt(&order_sn).await,
        }
    }

    /// The SKUs ordered, each bound to the room; 404 unknown room, 422 otherwise.
    async fn bound_skus(&self, live_id: LiveId, order: &ValidOrder) -> Result<Vec<SkuRow>, AppError> {
        let room: Option<String> = sqlx::query_scalar("SELECT status FROM live_rooms WHERE id = $1")
            .bind(live_id.get())
            .fetch_optional(&self.db)
            .await
            .map_err(store_error)?;
        match room.as_deref() {
            None => return Err(AppError::not_found("live room")),
            Some("ended") => return Err(AppError::Invalid(Reason::RoomEnded)),
            Some(_) => {}
        }
        let ids: Vec<i64> = order.items.iter().map(|(s, _)| s.get()).collect();
        let rows: Vec<SkuRow> = sqlx::query_as(
            "SELECT k.id, k.spu_id, k.price_cents, k.stock FROM skus k
               JOIN live_room_goods g ON g.spu_id = k.spu_id AND g.live_id = $1
              WHERE k.id = ANY($2)",
        )
        .bind(live_id.get())
        .bind(&ids)
        .fetch_all(&self.db)
        .await
        .map_err(store_error)?;
        if rows.len() != ids.len() {
            return Err(AppError::Invalid(Reason::SkuNotInRoom));
        }
        Ok(rows)
    }

    /// The flash-sale rules of the ordered SKUs, read once per attempt;
    /// `sale_not_started` before any of them starts.
    async fn sale_rules(&self, live_id: LiveId, order: &ValidOrder) -> Result<Vec<sales::SaleRule>, AppError> {
        let ids: Vec<i64> = order.items.iter().map(|(s, _)| s.get()).collect();
        let mut conn = self.db.acquire().await.map_err(store_error)?;
        let rules = sales::rules(&mut conn, live_id, &ids).await?;
        let now = Utc::now();
        if rules.iter().any(|r| r.starts_at.is_some_and(|t| t > now)) {
            return Err(AppError::SaleNotStarted);
        }
        Ok(rules)
    }

    /// Reserves in Redis. `Ok(None)` when Redis is unreachable (Postgres decides).
    async fn reserve(
        &self,
        live_id: LiveId,
        xid: &str,
        order: &ValidOrder,
        skus: &[SkuRow],
    ) -> Result<Option<()>, AppError> {
        for _ in 0..2 {
            match self.gate.reserve(live_id, xid, &order.items, Utc::now().timestamp_millis()).await {
                Ok(Reserve::Reserved) => return Ok(Some(())),
                Ok(Reserve::SoldOut(_)) => return Err(AppError::SoldOut),
                Ok(Reserve::Missing(_)) => {
                    // Redis lost the counters: rebuild them from Postgres, then gate again.
                    let stock: Vec<(SkuId, i64)> =
                        skus.iter().filter_map(|k| Some((SkuId::new(k.id).ok()?, i64::from(k.stock)))).collect();
                    self.fresh_init(live_id, &stock).await?;
                }
                Err(err) => {
                    // The reply may be lost after the script ran: the XID tells.
                    return match self.gate.holds(live_id, xid).await {
                        Ok(true) => Ok(Some(())),
                        Ok(false) if !(err.is_io_error() || err.is_timeout() || err.is_connection_dropped()) => {
                            Err(store_error(err))
                        }
                        _ => {
                            tracing::warn!(error = %err, "Redis unreachable; Postgres decides alone");
                            self.redis_degraded.store(true, Ordering::Relaxed);
                            // If the script did run, the reservation is released (once) by the sweeper or below.
                            let _ = self.gate.release(live_id, xid).await;
                            Ok(None)
                        }
                    };
                }
            }
        }
        Err(AppError::Unavailable)
    }

    /// Initialises missing counters from Postgres's current stock.
    async fn fresh_init(&self, live_id: LiveId, stale: &[(SkuId, i64)]) -> Result<(), AppError> {
        let ids: Vec<i64> = stale.iter().map(|(s, _)| s.get()).collect();
        let current: Vec<(i64, i32)> = sqlx::query_as("SELECT id, stock FROM skus WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.db)
            .await
            .map_err(store_error)?;
        let stock: Vec<(SkuId, i64)> =
            current.into_iter().filter_map(|(id, s)| Some((SkuId::new(id).ok()?, i64::from(s)))).collect();
        self.gate.init(live_id, &stock).await.map_err(store_error)
    }

    /// The Postgres transaction: stock, order, items, events. Returns the
    /// receipt and the order event's outbox id.
    async fn commit(
        &self,
        user: UserId,
        key: &str,
        xid: &str,
        order: &ValidOrder,
        skus: &[SkuRow],
        rules: &[sales::SaleRule],
    ) -> Result<(OrderReceipt, i64), Failed> {
        self.faults.hit("after_reserve").await.map_err(store_error)?;
        let live_id = order.request.live_id;
        let mut tx = self.db.begin().await.map_err(store_error)?;
        sqlx::query("SET LOCAL statement_timeout = '10s'").execute(&mut *tx).await.map_err(store_error)?;
        self.check_limits(&mut tx, user, order, rules).await?;
        let mut total = 0i64;
        // Rows are locked in SKU order, so concurrent multi-item orders cannot deadlock.
        let mut sorted = order.items.clone();
        sorted.sort_by_key(|(s, _)| *s);
        let mut left_after = Vec::with_capacity(sorted.len());
        for (sku_id, qty) in &sorted {
            let left: Option<i32> = sqlx::query_scalar(
                "UPDATE skus SET stock = stock - $2, updated_at = now() WHERE id = $1 AND stock >= $2 RETURNING stock",
            )
            .bind(sku_id.get())
            .bind(*qty as i32)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
            let Some(left) = left else {
                return Err(AppError::SoldOut.into());
            };
            let sku = skus.iter().find(|k| k.id == sku_id.get()).ok_or(AppError::Internal)?;
            left_after.push((SpuId::new(sku.spu_id).map_err(|_| AppError::Internal)?, *sku_id, i64::from(left)));
            let price = sku.price_cents;
            total += price * qty;
        }
        let inserted: Result<(i64, String, DateTime<Utc>), sqlx::Error> = sqlx::query_as(
            "INSERT INTO orders (order_sn, xid, user_id, live_id, tracking_code, trace_id, total_cents, idempotency_key, request_hash)
             VALUES (to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || lpad(nextval('order_sn_seq')::text, 12, '0'),
                     $1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING id, order_sn, created_at",
        )
        .bind(xid)
        .bind(user.get())
        .bind(live_id.get())
        .bind(&order.request.tracking_code)
        .bind(&order.request.trace_id)
        .bind(total)
        .bind(key)
        .bind(&order.fingerprint)
        .fetch_one(&mut *tx)
        .await;
        let (order_id, order_sn, created_at) = match inserted {
            Ok(row) => row,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AppError::Conflict(Reason::IdempotencyInFlight).into())
            }
            Err(e) => return Err(store_error(e).into()),
        };
        for (sku_id, qty) in &order.items {
            let sku = skus.iter().find(|k| k.id == sku_id.get()).ok_or(AppError::Internal)?;
            sqlx::query(
                "INSERT INTO order_items (order_id, sku_id, spu_id, quantity, price_cents) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(order_id)
            .bind(sku_id.get())
            .bind(sku.spu_id)
            .bind(*qty as i32)
            .bind(sku.price_cents)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        let goods_items: Vec<OrderItem> =
            sorted.iter().map(|(sku_id, quantity)| OrderItem { sku_id: *sku_id, quantity: *quantity }).collect();
        let time_ms = created_at.timestamp_millis();
        let event = json!({
            "order_sn": order_sn,
            "live_id": live_id,
            "user_id": user,
            "goods_items": goods_items,
            "xid": xid,
            "total_cents": total,
            "time_ms": time_ms,
            "trace_id": order.request.trace_id,
        });
        let outbox_id =
            outbox::enqueue(&mut tx, Stream::Orders, "order_created", live_id, &event).await.map_err(store_error)?;
        // Every room showing these goods sees the new stock.
        goods::announce_stock(&mut tx, &left_after).await?;
        if let (Some(first), true) =
            (skus.first(), order.request.trace_id.is_some() || order.request.tracking_code.is_some())
        {
            sqlx::query("INSERT INTO funnel_events (event, live_id, spu_id, tracking_code, trace_id) VALUES ('order', $1, $2, $3, $4)")
                .bind(live_id.get())
                .bind(first.spu_id)
                .bind(&order.request.tracking_code)
                .bind(&order.request.trace_id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(|e| Failed::Unknown(store_error(e)))?;
        let receipt = OrderReceipt {
            order_sn,
            xid: xid.to_owned(),
            status: "created".into(),
            live_id,
            user_id: user,
            goods_items,
            total_cents: total,
            created_at: created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        };
        Ok((receipt, outbox_id))
    }

    /// Per-user limits, held under a per-(user, room) lock so that concurrent
    /// orders from one user cannot both pass.
    async fn check_limits(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        user: UserId,
        order: &ValidOrder,
        rules: &[sales::SaleRule],
    ) -> Result<(), AppError> {
        let live_id = order.request.live_id;
        if rules.iter().all(|r| r.per_user_limit.is_none()) {
            return Ok(());
        }
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('order-limit:' || $1::text || ':' || $2::text, 0))")
            .bind(user.get())
            .bind(live_id.get())
            .execute(&mut **tx)
            .await
            .map_err(store_error)?;
        for rule in rules {
            let Some(limit) = rule.per_user_limit else { continue };
            let bought: i64 = sqlx::query_scalar(
                "SELECT COALESCE(sum(i.quantity), 0)::BIGINT FROM order_items i JOIN orders o ON o.id = i.order_id
                  WHERE o.user_id = $1 AND o.live_id = $2 AND i.sku_id = $3 AND o.status <> 'cancelled'",
            )
            .bind(user.get())
            .bind(live_id.get())
            .bind(rule.sku_id.get())
            .fetch_one(&mut **tx)
            .await
            .map_err(store_error)?;
            let wanted = order.items.iter().find(|(s, _)| *s == rule.sku_id).map(|(_, q)| *q).unwrap_or(0);
            if bought + wanted > i64::from(limit) {
                return Err(AppError::PurchaseLimit);
            }
        }
        Ok(())
    }

    /// After the commit: publish on the primary channel (failures go to the
    /// fail log), wake the relay for the stock events, drop stale goods details.
    async fn after_commit(&self, receipt: &OrderReceipt, outbox_id: i64, skus: &[SkuRow]) {
        if let Err(err) = self.faults.hit("after_commit").await {
            tracing::warn!(error = %err, "fault after commit");
            return;
        }
        self.publisher.publish_order(outbox_id, receipt.live_id, &receipt.order_sn).await;
        self.relay.notify();
        for sku in skus {
            if let Ok(spu) = SpuId::new(sku.spu_id) {
                self.goods_cache.invalidate(spu).await;
            }
        }
    }

    /// An order's receipt by its number.
    pub async fn receipt(&self, order_sn: &str) -> Result<Option<OrderReceipt>, AppError> {
        let row: Option<OrderRow> = sqlx::query_as(
            "SELECT id, order_sn, xid, status, live_id, user_id, total_cents, created_at FROM orders WHERE order_sn = $1",
        )
        .bind(order_sn)
        .fetch_optional(&self.db)
        .await
        .map_err(store_error)?;
        let Some(OrderRow { id, order_sn, xid, status, live_id, user_id, total_cents, created_at }) = row else {
            return Ok(None);
        };
        let items: Vec<(i64, i32)> =
            sqlx::query_as("SELECT sku_id, quantity FROM order_items WHERE order_id = $1 ORDER BY sku_id")
                .bind(id)
                .fetch_all(&self.db)
                .await
                .map_err(store_error)?;
        Ok(Some(OrderReceipt {
            order_sn,
            xid,
            status,
            live_id: LiveId::new(live_id).map_err(|_| AppError::Internal)?,
            user_id: UserId::new(user_id).map_err(|_| AppError::Internal)?,
            goods_items: items
                .into_iter()
                .filter_map(|(s, q)| Some(OrderItem { sku_id: SkuId::new(s).ok()?, quantity: i64::from(q) }))
                .collect(),
            total_cents,
            created_at: created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        }))
    }

    /// The order for its owner; anyone else gets `None` (404), never a 403 that confirms it exists.
    pub async fn receipt_for(&self, user: UserId, order_sn: &str) -> Result<Option<OrderReceipt>, AppError> {
        if order_sn.len() > 32 || !order_sn.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        Ok(self.receipt(order_sn).await?.filter(|r| r.user_id == user))
    }
}
