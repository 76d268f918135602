//! Placing an order, orchestration only: one code path behind
//! `POST /api/orders` and the web page's server function (the `Ordering`
//! port). Each attempt gets an XID, holds its stock at the gate, commits in
//! one transaction (`commit`), and after the commit publishes its event and
//! confirms the hold; any failure before the commit releases the hold.

use std::{sync::Arc, time::Duration};

use app::{
    error::AppError,
    ids::{LiveId, UserId},
    model::{OrderReceipt, OrderRequest, PlacedOrder, RoomStatus, SessionUser},
};
use sqlx::PgPool;

use super::{
    commit::{commit, Attempt, Committed, Failed},
    receipt,
    request::{self, IdempotencyKey, ValidOrder},
    sales, OrderSn, Xid,
};
use crate::{
    auth::{RateLimiter, ORDERS_PER_ACCOUNT},
    cache::GoodsCache,
    compensation,
    error::Result,
    events::{Publisher, Relay},
    faults::Faults,
    goods::SkuRow,
    links::AnalyticsSource,
    metrics::Metrics,
    rooms,
    stock::{self, Hold, StockGate},
};

/// Longest an order transaction may take; the sweeper waits longer than this.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(20);

pub struct Orders {
    db: PgPool,
    pub stock: Arc<StockGate>,
    publisher: Publisher,
    relay: Relay,
    goods_cache: Arc<GoodsCache>,
    /// Armed by the fault-injection tests (a no-op without the `faults` feature).
    pub faults: Faults,
    limiter: RateLimiter,
    metrics: Arc<Metrics>,
}

impl Orders {
    // One handle per collaborator, wired once in `Application::build`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: PgPool,
        stock: Arc<StockGate>,
        publisher: Publisher,
        relay: Relay,
        goods_cache: Arc<GoodsCache>,
        faults: Faults,
        limiter: RateLimiter,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self { db, stock, publisher, relay, goods_cache, faults, limiter, metrics }
    }

    #[tracing::instrument(skip_all, fields(%user, live_id = %request.live_id, xid))]
    async fn place_order(&self, user: UserId, key: &IdempotencyKey, request: OrderRequest) -> Result<PlacedOrder> {
        if !self.limiter.hit("orders", &user.to_string(), ORDERS_PER_ACCOUNT).await {
            return Err(AppError::RateLimited.into());
        }
        let order = request::validate(request)?;
        self.metrics.count_dropped(AnalyticsSource::Order, &order.dropped);
        if let Some(existing) = receipt::existing(&self.db, user, key, &order.fingerprint).await? {
            return Ok(PlacedOrder { receipt: existing, created: false });
        }
        let live_id = order.request.live_id;
        let skus = self.bound_skus(live_id, &order).await?;
        let rules = sales::rules_for(&self.db, &order).await?;

        let xid = Xid::mint();
        tracing::Span::current().record("xid", xid.as_str());
        let hold = self.stock.hold(live_id, &xid, &order.items).await?;
        let reserved = matches!(hold, Hold::Reserved);
        let attempt = Attempt { user, key, xid: &xid, order: &order, skus: &skus, rules: &rules };
        // The attempt cannot outlive the sweeper's patience: dropping the
        // transaction at the deadline rolls it back.
        let outcome = tokio::time::timeout(ATTEMPT_DEADLINE, commit(&self.db, &self.faults, attempt))
            .await
            .unwrap_or_else(|_| Err(Failed::Before(AppError::Unavailable.into())));
        drop(hold);
        match outcome {
            Ok(committed) => {
                if reserved {
                    self.stock.confirm(live_id, &xid).await;
                }
                self.after_commit(&committed, &skus).await;
                Ok(PlacedOrder { receipt: committed.receipt, created: true })
            }
            Err(failed) => {
                let err = match failed {
                    Failed::Before(err) => {
                        if reserved {
                            self.stock.release(live_id, &xid).await;
                        }
                        err
                    }
                    Failed::Unknown(err) => err,
                };
                // A concurrent duplicate with this key may have committed first
                // (it then explains our conflict, sold-out or limit answer).
                if let Some(existing) = receipt::existing(&self.db, user, key, &order.fingerprint).await? {
                    return Ok(PlacedOrder { receipt: existing, created: false });
                }
                Err(err)
            }
        }
    }

    /// The SKUs ordered, each bound to the room; 404 unknown room, 422 otherwise.
    async fn bound_skus(&self, live_id: LiveId, order: &ValidOrder) -> Result<Vec<SkuRow>> {
        match rooms::status(&self.db, live_id).await? {
            None => return Err(AppError::not_found("live room").into()),
            Some(RoomStatus::Ended) => return Err(AppError::Invalid(app::error::Reason::RoomEnded).into()),
            Some(RoomStatus::Live) => {}
        }
        let rows = stock::bound_skus(&self.db, live_id, &order.sku_ids()).await?;
        if rows.len() != order.items.len() {
            return Err(AppError::Invalid(app::error::Reason::SkuNotInRoom).into());
        }
        Ok(rows)
    }

    /// After the commit: publish on the primary channel (a failure goes to the
    /// fail log), wake the relay for the stock events, drop stale goods details.
    async fn after_commit(&self, committed: &Committed, skus: &[SkuRow]) {
        if let Err(err) = self.faults.hit("after_commit").await {
            tracing::warn!(error = %err, "fault after commit");
            return;
        }
        let receipt = &committed.receipt;
        if let Err(err) = self.publisher.send(committed.outbox_id).await {
            compensation::log_failed_publish(&self.db, committed.outbox_id, receipt.live_id, &receipt.order_sn, &err)
                .await;
        }
        self.relay.notify();
        for sku in skus {
            self.goods_cache.invalidate(sku.spu_id).await;
        }
    }
}

#[async_trait::async_trait]
impl app::ports::Ordering for Orders {
    async fn place(&self, user: &SessionUser, key: &str, request: OrderRequest) -> Result<PlacedOrder, AppError> {
        let key = IdempotencyKey::parse(Some(key))?;
        Ok(self.place_order(user.user_id, &key, request).await?)
    }

    async fn order(&self, user: &SessionUser, order_sn: &str) -> Result<Option<OrderReceipt>, AppError> {
        let Some(order_sn) = OrderSn::parse(order_sn) else { return Ok(None) };
        let found = receipt::receipt(&self.db, &order_sn).await?;
        Ok(found.filter(|r| r.user_id == user.user_id))
    }
}
