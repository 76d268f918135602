//! Placing an order, orchestration only: one code path behind
//! `POST /api/orders` and the web page's server function (the `Ordering`
//! port). One attempt at a time per idempotency key (`claim`: a retry waits
//! for the answer of the attempt in flight); each attempt gets an XID, holds
//! its stock at the gate, commits in one transaction (`commit`), and after the
//! commit publishes its event and confirms the hold; any failure before the
//! commit releases the hold.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use app::{
    error::{AppError, Reason},
    ids::UserId,
    model::{OrderReceipt, OrderRequest, PaymentStarted, PlacedOrder, SessionUser},
};
use sqlx::PgPool;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::{
    claim::{Claim, Claims},
    close::{close, Closing, Returns},
    commit::{Committed, Failed},
    facts::SaleFacts,
    group::{Coalescer, LaneParts, Owned},
    receipt,
    request::{self, IdempotencyKey, ValidOrder},
    OrderSn, Xid,
};
use crate::{
    auth::{RateLimiter, ORDERS_PER_ACCOUNT},
    cache::GoodsCache,
    compensation,
    error::{Error, Result},
    events::{Publisher, Relay},
    faults::Faults,
    goods::SkuRow,
    links::{chain_span, AnalyticsSource},
    metrics::Metrics,
    payments::Payments,
    startup::redis::Redis,
    stock::{Hold, StockGate},
};

/// Longest an order transaction may take; the sweeper waits longer than this.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(20);
/// How long an attempt holds its key's claim at most, and a retry waits for
/// it: past the commit's deadline with room for the reads before it.
const CLAIM_TTL: Duration = Duration::from_secs(60);
const CLAIM_POLL: Duration = Duration::from_millis(50);

pub struct Orders {
    db: PgPool,
    pub stock: Arc<StockGate>,
    publisher: Publisher,
    relay: Relay,
    goods_cache: Arc<GoodsCache>,
    /// Armed by the fault-injection tests (a no-op without the `faults` feature).
    pub faults: Faults,
    limiter: RateLimiter,
    claims: Claims,
    statement_timeout: Duration,
    pay_timeout: Duration,
    metrics: Arc<Metrics>,
    payments: Arc<Payments>,
    returns: Returns,
    facts: SaleFacts,
    coalescer: Coalescer,
}

/// What `Orders` is built from.
pub struct OrdersParts {
    pub db: PgPool,
    pub redis: Redis,
    /// Where work that follows an answer runs (shutdown waits for it).
    pub tasks: TaskTracker,
    pub stock: Arc<StockGate>,
    pub publisher: Publisher,
    pub relay: Relay,
    pub goods_cache: Arc<GoodsCache>,
    pub faults: Faults,
    pub limiter: RateLimiter,
    pub statement_timeout: Duration,
    pub pay_timeout: Duration,
    pub metrics: Arc<Metrics>,
    pub payments: Arc<Payments>,
    pub facts: SaleFacts,
}

impl Orders {
    pub fn new(parts: OrdersParts) -> Self {
        let OrdersParts {
            db,
            redis,
            tasks,
            stock,
            publisher,
            relay,
            goods_cache,
            faults,
            limiter,
            statement_timeout,
            pay_timeout,
            metrics,
            payments,
            facts,
        } = parts;
        let coalescer = Coalescer::new(LaneParts {
            db: db.clone(),
            faults: faults.clone(),
            publisher: publisher.clone(),
            goods_cache: goods_cache.clone(),
            stock: stock.clone(),
            relay: relay.clone(),
            tasks: tasks.clone(),
        });
        let returns = Returns { stock: stock.clone(), goods_cache: goods_cache.clone(), relay: relay.clone() };
        Self {
            db,
            stock,
            publisher,
            relay,
            goods_cache,
            faults,
            limiter,
            claims: Claims::new(redis, tasks),
            statement_timeout,
            pay_timeout,
            metrics,
            payments,
            returns,
            facts,
            coalescer,
        }
    }

    /// What a cancel or an expiry is followed by (the expirer shares it).
    pub fn returns(&self) -> Returns {
        self.returns.clone()
    }

    /// Counts the outcome of a placing: a new order, or a sold-out answer.
    fn count(&self, placed: &Result<PlacedOrder>) {
        match placed {
            Ok(order) if order.created => self.metrics.orders_placed.inc(),
            Err(crate::error::Error::Refused(AppError::SoldOut)) => self.metrics.orders_sold_out.inc(),
            _ => {}
        }
    }

    /// Cancels the user's unpaid order; its stock returns. 404 for anyone
    /// else's order, 409 once it is paid or closed.
    async fn cancel_order(&self, user: UserId, order_sn: &OrderSn) -> Result<OrderReceipt> {
        let mut tx = self.db.begin().await?;
        let found: Option<(i64, i64)> = sqlx::query_as("SELECT id, user_id FROM orders WHERE order_sn = $1")
            .bind(order_sn.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let order_id = match found {
            Some((id, owner)) if owner == user.get() => id,
            _ => return Err(AppError::not_found("order").into()),
        };
        let closed =
            close(&mut tx, order_id, Closing::Cancelled).await?.ok_or(AppError::Conflict(Reason::OrderNotUnpaid))?;
        tx.commit().await?;
        self.metrics.orders_cancelled.inc();
        self.returns.settle(&closed).await;
        receipt::receipt(&self.db, order_sn).await?.ok_or_else(|| AppError::not_found("order").into())
    }

    /// Sold out a moment ago here: unless this key was used before (its
    /// order, if any, is the answer), nothing else needs asking, and nothing
    /// else is done (no span, no claim): the crowd that hears "sold out" is
    /// answered at the cost of one Redis `EXISTS`. `user` is asked only for
    /// a flagged SKU; `None` (no signed-in buyer) is never refused here.
    /// A refusal is counted.
    async fn sold_out_at_once(
        &self,
        user: impl Future<Output = Option<UserId>>,
        key: &IdempotencyKey,
        order: &ValidOrder,
    ) -> bool {
        if !self.stock.flagged_sold_out(order.request.live_id, &order.items) {
            return false;
        }
        let Some(user) = user.await else { return false };
        let refused = match self.claims.used(user, key).await {
            Ok(used) => !used,
            Err(err) => {
                tracing::debug!(error = %err, "key not checked; the order goes the long way");
                false
            }
        };
        if refused {
            self.metrics.orders_sold_out.inc();
        }
        refused
    }

    /// Whether this order is answered "sold out" at once ([`Self::sold_out_at_once`]),
    /// for the HTTP layer's early answer, before its session is known: `user`
    /// is looked up only for a flagged SKU. False for anything the full path
    /// must look at: a malformed key or body, no signed-in buyer, a key used
    /// before, a SKU the gate has not flagged.
    pub async fn refused_at_once(
        &self,
        user: impl Future<Output = Option<UserId>>,
        key: Option<&str>,
        request: OrderRequest,
    ) -> bool {
        let (Ok(key), Ok(order)) = (IdempotencyKey::parse(key), request::validate(request)) else { return false };
        self.sold_out_at_once(user, &key, &order).await
    }

    #[tracing::instrument(skip_all, fields(%user, live_id = %order.request.live_id, xid))]
    async fn place_order(&self, user: UserId, key: &IdempotencyKey, order: ValidOrder) -> Result<PlacedOrder> {
        let waiting_until = Instant::now() + CLAIM_TTL;
        let mut waited = false;
        loop {
            let xid = Xid::mint();
            tracing::Span::current().record("xid", xid.as_str());
            match self.claims.claim(user, key, &xid, CLAIM_TTL).await {
                // Another attempt with this key is in flight: wait for its claim
                // to go (only Redis is asked meanwhile), then look again.
                Ok(Claim::InFlight) if Instant::now() < waiting_until => {
                    waited = true;
                    tokio::time::sleep(CLAIM_POLL).await;
                }
                Ok(Claim::InFlight) => return Err(AppError::Conflict(Reason::IdempotencyInFlight).into()),
                Ok(claim) => {
                    let may_exist = waited || claim == Claim::Used;
                    let placed = self.claimed(user, key, &order, &xid, may_exist).await;
                    self.claims.release(user, key, &xid);
                    return placed;
                }
                // No claim without Redis: the order's unique key keeps it to one order.
                Err(err) if err.is_unreachable() => return self.claimed(user, key, &order, &xid, true).await,
                Err(err) => return Err(err),
            }
        }
    }

    /// The attempt `xid` holds the key (or Redis is away). `may_exist`: an
    /// earlier attempt used the key, so its order may exist and is looked for.
    async fn claimed(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        order: &ValidOrder,
        xid: &Xid,
        may_exist: bool,
    ) -> Result<PlacedOrder> {
        // A retry of an order that exists gets it, whatever the limits say.
        if may_exist {
            if let Some(existing) = self.replay(user, key, order).await? {
                return Ok(existing);
            }
        }
        self.limiter.hit("orders", &user.to_string(), ORDERS_PER_ACCOUNT).await?;
        self.metrics.count_dropped(AnalyticsSource::Order, &order.dropped);
        self.attempt(user, key, order, xid, may_exist).await
    }

    /// The order this key and body made already, answered again.
    async fn replay(&self, user: UserId, key: &IdempotencyKey, order: &ValidOrder) -> Result<Option<PlacedOrder>> {
        let existing = receipt::existing(&self.db, user, key, order.fingerprint()).await?;
        Ok(existing.map(|receipt| PlacedOrder { receipt, created: false }))
    }

    /// One attempt under `xid`: hold the stock, commit, then publish and confirm.
    async fn attempt(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        order: &ValidOrder,
        xid: &Xid,
        may_exist: bool,
    ) -> Result<PlacedOrder> {
        let live_id = order.request.live_id;
        let facts = self.facts.of(order).await?;
        let (skus, rules) = facts.check(order)?;
        let hold = match self.stock.hold(live_id, xid, &order.items).await {
            Ok(hold) => hold,
            // The units the gate refuses may be those an earlier attempt with
            // this key took: its order is the answer, not "sold out".
            Err(err) if may_exist => return self.replay(user, key, order).await?.ok_or(err),
            Err(err) => return Err(err),
        };
        let reserved = matches!(hold, Hold::Reserved);
        let attempt = Owned {
            user,
            key: key.clone(),
            xid: xid.clone(),
            order: order.clone(),
            skus: skus.to_vec(),
            rules: rules.to_vec(),
            statement_timeout: self.statement_timeout,
            pay_timeout: self.pay_timeout,
            reserved,
        };
        // The attempt cannot outlive the sweeper's patience. Past the deadline
        // the commit may or may not have landed: the sweeper settles the hold
        // by XID, and a retry with the key finds the order if it did.
        let outcome = tokio::time::timeout(ATTEMPT_DEADLINE, self.coalescer.commit(attempt))
            .await
            .unwrap_or_else(|_| Err(Failed::Unknown(AppError::Unavailable.into())));
        drop(hold);
        match outcome {
            Ok(committed) => {
                if reserved && !committed.settled {
                    self.stock.confirm(live_id, &[xid]).await;
                }
                self.after_commit(&committed, skus).await;
                Ok(PlacedOrder { receipt: committed.receipt, created: true })
            }
            Err(failed) => {
                let (err, may_exist) = match failed {
                    Failed::Before(err) => {
                        if reserved {
                            self.stock.release(live_id, xid).await;
                        }
                        // The order's unique key was taken: the key's order exists
                        // (Redis forgot the key was used).
                        let taken = matches!(err, Error::Refused(AppError::Conflict(Reason::IdempotencyInFlight)));
                        (err, may_exist || taken)
                    }
                    // Our own commit may have landed.
                    Failed::Unknown(err) => (err, true),
                };
                // A duplicate with this key may have committed first (it then
                // explains our conflict, sold-out or limit answer).
                if !may_exist {
                    return Err(err);
                }
                self.replay(user, key, order).await?.ok_or(err)
            }
        }
    }

    /// After the commit: publish on the primary channel (a failure goes to the
    /// fail log), wake the relay for the stock events, drop stale goods details;
    /// for an order its group settles, nothing.
    async fn after_commit(&self, committed: &Committed, skus: &[SkuRow]) {
        if committed.settled {
            return;
        }
        if let Err(err) = self.faults.hit("after_commit").await {
            tracing::warn!(error = %err, "fault after commit");
            return;
        }
        let receipt = &committed.receipt;
        compensation::publish_or_log(
            &self.publisher,
            &self.db,
            committed.outbox_id,
            receipt.live_id,
            &receipt.order_sn,
        )
        .await;
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
        let order = request::validate(request)?;
        if self.sold_out_at_once(std::future::ready(Some(user.user_id)), &key, &order).await {
            return Err(AppError::SoldOut);
        }
        let span = chain_span("live.order", order.request.trace_id.as_deref());
        let placed = self.place_order(user.user_id, &key, order).instrument(span).await;
        self.count(&placed);
        Ok(placed?)
    }

    async fn order(&self, user: &SessionUser, order_sn: &str) -> Result<Option<OrderReceipt>, AppError> {
        let Some(order_sn) = OrderSn::parse(order_sn) else { return Ok(None) };
        let found = receipt::receipt(&self.db, &order_sn).await?;
        Ok(found.filter(|r| r.user_id == user.user_id))
    }

    async fn my_orders(&self, user: &SessionUser) -> Result<Vec<OrderReceipt>, AppError> {
        Ok(receipt::mine(&self.db, user.user_id).await?)
    }

    async fn pay(&self, user: &SessionUser, order_sn: &str) -> Result<PaymentStarted, AppError> {
        let order_sn = OrderSn::parse(order_sn).ok_or_else(|| AppError::not_found("order"))?;
        Ok(self.payments.pay(user.user_id, &order_sn).await?)
    }

    async fn cancel(&self, user: &SessionUser, order_sn: &str) -> Result<OrderReceipt, AppError> {
        let order_sn = OrderSn::parse(order_sn).ok_or_else(|| AppError::not_found("order"))?;
        Ok(self.cancel_order(user.user_id, &order_sn).await?)
    }
}
