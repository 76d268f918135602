//! Coalesced commits for a hot SKU. A flash sale sends thousands of orders
//! for one SKU at once, and one row's conditional decrement can be committed
//! only so many times a second. Single-item orders for one SKU therefore
//! queue in a lane: while one group commits, the orders arriving meanwhile
//! gather, and the lane's driver (a task) commits all of them next in one
//! transaction: the per-user limits checked for all the buyers at once,
//! one conditional decrement for the group's total, multi-row inserts of the
//! orders, their items and their `OrderCreatedEvent`s, one `stock` event,
//! one commit. Each buyer still gets their own answer: a buyer past their
//! limit is refused alone; when the group does not fit the stock (or
//! anything else goes wrong before the commit) its orders are committed one
//! by one, as they would have been without the lane, so every guarantee of
//! the single order path holds: idempotency (the orders' unique key), zero
//! oversell (the conditional decrement), one event per order (in the same
//! transaction as the order), compensation by XID.
//!
//! The group runs in a task of its own, so a caller that goes away does not
//! abort the others' commit. Its buyers are answered as soon as it commits,
//! and the lane's next group may commit then: confirming the holds and
//! publishing the events follow in a task of their own ([`Settling`]), off
//! every buyer's wait. Lanes are per process; processes' groups serialise
//! on the SKU's row like single orders do.

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::{
    deep_link::SourceType,
    error::AppError,
    ids::{LiveId, SkuId, SpuId, UserId},
    model::OrderItem,
};
use chrono::{DateTime, Utc};
use moka::sync::Cache;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{oneshot, Semaphore};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::{
    commit::{commit, Attempt, Committed, Failed, NewOrder},
    request::{IdempotencyKey, ValidOrder},
    sales::{self, SaleRule},
    OrderSn, Xid,
};
use crate::{
    cache::GoodsCache,
    compensation,
    error::Error,
    events::{enqueue_many, Publisher, Relay},
    faults::Faults,
    goods::SkuRow,
    links::{record_funnel_orders, Trace},
    rooms, stock,
    stock::StockGate,
};

/// Most orders one transaction commits.
const MAX_GROUP: usize = 256;
/// A lane nobody used for this long is forgotten.
const LANE_IDLE: Duration = Duration::from_secs(60);
/// Most groups of this process settling at once.
const SETTLERS: usize = 4;

/// One attempt as the lane holds it (it outlives the caller's borrow).
#[derive(Clone)]
pub struct Owned {
    pub user: UserId,
    pub key: IdempotencyKey,
    pub xid: Xid,
    pub order: ValidOrder,
    pub skus: Vec<SkuRow>,
    pub rules: Vec<SaleRule>,
    pub statement_timeout: Duration,
    pub pay_timeout: Duration,
    /// Its stock is held at the gate (not decided by Postgres alone).
    pub reserved: bool,
}

impl Owned {
    fn attempt(&self) -> Attempt<'_> {
        Attempt {
            user: self.user,
            key: &self.key,
            xid: &self.xid,
            order: &self.order,
            skus: &self.skus,
            rules: &self.rules,
            statement_timeout: self.statement_timeout,
            pay_timeout: self.pay_timeout,
        }
    }

    /// The single item of a single-item order.
    fn item(&self) -> (SkuId, i64) {
        let (sku, qty) = self.order.items[0];
        (sku, qty.wide())
    }

    fn sku(&self) -> &SkuRow {
        &self.skus[0]
    }
}

struct Ticket {
    attempt: Owned,
    answer: oneshot::Sender<Result<Committed, Failed>>,
    /// The caller's span: a lone order's commit shows in its own trace.
    span: tracing::Span,
}

/// One SKU's queue, and whether a driver is committing from it.
#[derive(Default)]
struct Lane {
    state: std::sync::Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    waiting: Vec<Ticket>,
    driving: bool,
}

#[derive(Clone)]
pub struct Coalescer {
    parts: LaneParts,
    lanes: Cache<SkuId, Arc<Lane>>,
    /// Groups settling at once, at most [`SETTLERS`]: should Redis slow
    /// down, the settlings queue here instead of crowding the pool.
    settlers: Arc<Semaphore>,
}

/// What a [`Coalescer`] commits with and settles through.
#[derive(Clone)]
pub struct LaneParts {
    pub db: PgPool,
    pub faults: Faults,
    pub publisher: Publisher,
    pub goods_cache: Arc<GoodsCache>,
    pub stock: Arc<StockGate>,
    pub relay: Relay,
    /// Where the groups' settling runs (shutdown waits for it).
    pub tasks: TaskTracker,
}

impl Coalescer {
    pub fn new(parts: LaneParts) -> Self {
        Self {
            parts,
            lanes: Cache::builder().time_to_idle(LANE_IDLE).build(),
            settlers: Arc::new(Semaphore::new(SETTLERS)),
        }
    }

    /// Commits the attempt, together with the others for its SKU that are
    /// waiting; a multi-item order commits alone.
    ///
    /// The caller queues its attempt and waits for its answer; the first
    /// caller to find the lane idle starts its driver. A queue with a task
    /// of its own, rather than a turn each caller takes: the turn made every
    /// buyer of a group take it after the group was done, one after another,
    /// and the next group waited behind them.
    pub async fn commit(&self, attempt: Owned) -> Result<Committed, Failed> {
        if attempt.order.items.len() != 1 || attempt.skus.len() != 1 {
            return commit(&self.parts.db, &self.parts.faults, attempt.attempt()).await;
        }
        let lane = self.lanes.get_with(attempt.item().0, || Arc::new(Lane::default()));
        let (answer, answered) = oneshot::channel();
        let ticket = Ticket { attempt, answer, span: tracing::Span::current() };
        let start = {
            let mut state = lane.state.lock().expect("lock poisoned");
            state.waiting.push(ticket);
            !std::mem::replace(&mut state.driving, true)
        };
        if start {
            tokio::spawn(drive(self.clone(), lane));
        }
        answered.await.unwrap_or_else(|_| Err(Failed::Unknown(AppError::Unavailable.into())))
    }
}

/// Commits the lane's waiting attempts, a group at a time, until none wait.
async fn drive(coalescer: Coalescer, lane: Arc<Lane>) {
    loop {
        let group: Vec<Ticket> = {
            let mut state = lane.state.lock().expect("lock poisoned");
            if state.waiting.is_empty() {
                state.driving = false;
                return;
            }
            let take = state.waiting.len().min(MAX_GROUP);
            state.waiting.drain(..take).collect()
        };
        // A caller that gave up (its deadline passed) is not committed for:
        // its hold is settled by XID, as if it never reached here.
        let group: Vec<Ticket> = group.into_iter().filter(|ticket| !ticket.answer.is_closed()).collect();
        let Some(span) = group.first().map(|ticket| ticket.span.clone()) else { continue };
        // A panic loses only its own group (its callers hear 503), not the lane.
        if tokio::spawn(run(coalescer.clone(), group).instrument(span)).await.is_err() {
            tracing::error!("a coalesced commit panicked; its attempts are settled by XID");
        }
    }
}

/// Why a group was not committed together.
enum Apart {
    /// Nothing was written: commit its orders one by one.
    OneByOne(Error),
    /// The commit itself failed: it may have happened.
    Unknown(Error),
}

impl<E: Into<Error>> From<E> for Apart {
    fn from(err: E) -> Self {
        Apart::OneByOne(err.into())
    }
}

async fn run(lane: Coalescer, group: Vec<Ticket>) {
    let (db, faults) = (&lane.parts.db, &lane.parts.faults);
    let mut settling = None;
    let results: Vec<Result<Committed, Failed>> = if group.len() == 1 {
        vec![commit(db, faults, group[0].attempt.attempt()).await]
    } else {
        let attempts: Vec<&Owned> = group.iter().map(|t| &t.attempt).collect();
        match together(db, faults, &attempts).await {
            Ok(mut results) => {
                settling = Settling::of(&attempts, &mut results);
                results
            }
            Err(Apart::OneByOne(err)) => {
                tracing::debug!(error = %err, size = group.len(), "group not committed together; one by one");
                let mut results = Vec::with_capacity(group.len());
                for ticket in &group {
                    results.push(commit(db, faults, ticket.attempt.attempt()).await);
                }
                results
            }
            Err(Apart::Unknown(err)) => {
                tracing::warn!(error = %err, size = group.len(), "a group's commit failed; settled by XID");
                group.iter().map(|_| Err(Failed::Unknown(AppError::Unavailable.into()))).collect()
            }
        }
    };
    for (ticket, result) in group.into_iter().zip(results) {
        let _ = ticket.answer.send(result);
    }
    // The buyers have their answers and the lane's next group may commit:
    // what follows a commit is nobody's wait.
    if let Some(settling) = settling {
        // A span of its own, after the buyers' spans ended, that follows from the group's.
        let span = tracing::info_span!(parent: None, "live.order.group_settle", orders = settling.events.len());
        span.follows_from(tracing::Span::current());
        let (settlers, tasks) = (lane.settlers.clone(), lane.parts.tasks.clone());
        tasks.spawn(
            async move {
                let _permit = settlers.acquire_owned().await;
                settling.run(lane.parts).await;
            }
            .instrument(span),
        );
    }
}

/// What follows a group's commit, done by the group for all its orders
/// (their [`Committed`] say so, and the buyers do none of it): the holds
/// confirmed at the gate and the events published, each in one round trip,
/// the relay woken for the `stock` event, and the goods' cached detail
/// dropped once. A hold the confirm missed is confirmed by the sweeper (its
/// XID committed); events that were not published together are published
/// one by one, and one that fails is logged for the retry loop (the relay
/// has it in any case).
struct Settling {
    live_id: LiveId,
    spu_id: SpuId,
    /// The holds taken at the gate by the committed attempts.
    held: Vec<Xid>,
    /// Each committed order's outbox row and order number.
    events: Vec<(i64, String)>,
}

impl Settling {
    /// Takes the settling over from the group's committed orders; `None` when none committed.
    fn of(attempts: &[&Owned], results: &mut [Result<Committed, Failed>]) -> Option<Self> {
        let mut held = Vec::new();
        let mut events = Vec::new();
        for (attempt, result) in attempts.iter().zip(results.iter_mut()) {
            let Ok(committed) = result else { continue };
            if attempt.reserved {
                held.push(attempt.xid.clone());
            }
            events.push((committed.outbox_id, committed.receipt.order_sn.clone()));
            committed.settled = true;
        }
        let first = attempts.first()?;
        (!events.is_empty()).then(|| Self {
            live_id: first.order.request.live_id,
            spu_id: first.sku().spu_id,
            held,
            events,
        })
    }

    async fn run(self, parts: LaneParts) {
        let held: Vec<&Xid> = self.held.iter().collect();
        if !held.is_empty() {
            parts.stock.confirm(self.live_id, &held).await;
        }
        // As after a single order's confirm: a process that dies here leaves
        // the events to the relay.
        if let Err(err) = parts.faults.hit("after_commit").await {
            tracing::warn!(error = %err, "fault after a group's commit");
            return;
        }
        let ids: Vec<i64> = self.events.iter().map(|(id, _)| *id).collect();
        if let Err(err) = parts.publisher.send_many(&ids).await {
            tracing::warn!(error = %err, rows = ids.len(), "a group's events not published together; one by one");
            for (outbox_id, order_sn) in &self.events {
                compensation::publish_or_log(&parts.publisher, &parts.db, *outbox_id, self.live_id, order_sn).await;
            }
        }
        parts.relay.notify();
        parts.goods_cache.invalidate(self.spu_id).await;
    }
}

/// Commits every attempt of the group (all for one SKU, one item each) in one
/// transaction; attempts past their buyer's limit are refused alone.
async fn together(db: &PgPool, faults: &Faults, group: &[&Owned]) -> Result<Vec<Result<Committed, Failed>>, Apart> {
    faults.hit("after_reserve").await.map_err(Error::from)?;
    let first = group[0];
    let live_id = first.order.request.live_id;
    let (sku_id, _) = first.item();
    let spu_id = first.sku().spu_id;
    if group.iter().any(|a| a.order.request.live_id != live_id) {
        return Err(Apart::OneByOne(anyhow::anyhow!("a group spans rooms").into()));
    }
    let mut tx = db.begin().await?;
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", first.statement_timeout.as_millis().max(1)))
        .execute(&mut *tx)
        .await?;
    let refused = over_limits(&mut tx, live_id, sku_id, group).await?;
    let kept: Vec<&Owned> = group.iter().zip(&refused).filter(|(_, r)| !**r).map(|(a, _)| *a).collect();
    let mut committed: HashMap<String, Committed> = HashMap::new();
    if !kept.is_empty() {
        let total: i64 = kept.iter().map(|a| a.item().1).sum();
        let total = i32::try_from(total).map_err(anyhow::Error::from).map_err(Error::from)?;
        let left: Option<i32> = sqlx::query_scalar(
            "UPDATE skus SET stock = stock - $2, updated_at = now() WHERE id = $1 AND stock >= $2 RETURNING stock",
        )
        .bind(sku_id.get())
        .bind(total)
        .fetch_optional(&mut *tx)
        .await?;
        // The group does not fit: one by one, each gets what is left or `sold_out`.
        let left = left.ok_or_else(|| Apart::OneByOne(AppError::SoldOut.into()))?;
        committed = insert_orders(&mut tx, live_id, &kept).await?;
        stock::announce(&mut tx, &[(spu_id, sku_id, i64::from(left))]).await?;
        // A group mixing live and replay orders for a room that has ended
        // goes one by one, each judged by its own source.
        let source = if kept.iter().all(|a| a.order.request.source_type == SourceType::Replay) {
            SourceType::Replay
        } else {
            SourceType::Live
        };
        let selling = rooms::sales(&mut tx, live_id).await?.ok_or_else(|| AppError::not_found("live room"))?;
        selling.admit(source).map_err(|refused| Apart::OneByOne(refused.into()))?;
        let traces: Vec<Trace<'_>> = kept
            .iter()
            .map(|a| Trace {
                tracking_code: a.order.request.tracking_code.as_deref(),
                trace_id: a.order.request.trace_id.as_deref(),
                source: a.order.request.source_type,
            })
            .collect();
        record_funnel_orders(&mut tx, live_id, spu_id, &traces).await?;
    }
    tx.commit().await.map_err(|e| Apart::Unknown(e.into()))?;
    Ok(group
        .iter()
        .zip(refused)
        .map(|(attempt, refused)| {
            if refused {
                return Err(Failed::Before(AppError::PurchaseLimit.into()));
            }
            committed
                .remove(attempt.xid.as_str())
                .ok_or_else(|| Failed::Unknown(anyhow::anyhow!("a grouped order was not returned").into()))
        })
        .collect())
}

/// Which attempts of the group would take their buyer past the SKU's
/// per-user limit in the room (counting the buyer's earlier attempts in the
/// group), under the same per-(user, room) locks as a single order takes.
async fn over_limits(
    conn: &mut PgConnection,
    live_id: LiveId,
    sku_id: SkuId,
    group: &[&Owned],
) -> Result<Vec<bool>, Apart> {
    let limit = group[0].rules.iter().find(|r| r.sku_id == sku_id).and_then(|r| r.per_user_limit);
    let Some(limit) = limit else { return Ok(vec![false; group.len()]) };
    let mut users: Vec<i64> = group.iter().map(|a| a.user.get()).collect();
    users.sort_unstable();
    users.dedup();
    sales::lock_limits(conn, &users, live_id).await?;
    let mut bought = sales::bought(conn, &users, live_id, sku_id).await?;
    Ok(group
        .iter()
        .map(|attempt| {
            let had = bought.entry(attempt.user.get()).or_default();
            let wanted = attempt.item().1;
            if *had + wanted > i64::from(limit) {
                return true;
            }
            *had += wanted;
            false
        })
        .collect())
}

/// An inserted order: id, XID, order number, created, pay by.
type InsertedRow = (i64, String, String, DateTime<Utc>, DateTime<Utc>);

/// Inserts the orders, their items and their events; the committed orders by XID.
async fn insert_orders(
    conn: &mut PgConnection,
    live_id: LiveId,
    kept: &[&Owned],
) -> Result<HashMap<String, Committed>, Apart> {
    let pay_timeout = kept[0].pay_timeout;
    let xids: Vec<&str> = kept.iter().map(|a| a.xid.as_str()).collect();
    let users: Vec<i64> = kept.iter().map(|a| a.user.get()).collect();
    let tracking: Vec<Option<&str>> = kept.iter().map(|a| a.order.request.tracking_code.as_deref()).collect();
    let traces: Vec<Option<&str>> = kept.iter().map(|a| a.order.request.trace_id.as_deref()).collect();
    let totals: Vec<i64> = kept.iter().map(|a| a.sku().price_cents * a.item().1).collect();
    let keys: Vec<&str> = kept.iter().map(|a| a.key.as_str()).collect();
    let hashes: Vec<&str> = kept.iter().map(|a| a.order.fingerprint()).collect();
    let sources: Vec<&str> = kept.iter().map(|a| a.order.request.source_type.as_str()).collect();
    // An idempotency key taken meanwhile fails the statement: one by one then.
    let rows: Vec<InsertedRow> = sqlx::query_as(
        "INSERT INTO orders (order_sn, xid, user_id, live_id, tracking_code, trace_id, total_cents, idempotency_key,
                             request_hash, pay_by, source_type)
         SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || lpad(nextval('order_sn_seq')::text, 12, '0'),
                x, u, $8, tc, ti, t, k, h, now() + make_interval(secs => $9), s
           FROM unnest($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[],
                       $10::TEXT[])
                AS g(x, u, tc, ti, t, k, h, s)
         RETURNING id, xid, order_sn, created_at, pay_by",
    )
    .bind(&xids)
    .bind(&users)
    .bind(&tracking)
    .bind(&traces)
    .bind(&totals)
    .bind(&keys)
    .bind(&hashes)
    .bind(live_id.get())
    .bind(pay_timeout.as_secs_f64())
    .bind(&sources)
    .fetch_all(&mut *conn)
    .await?;
    let by_xid: HashMap<&str, &Owned> = kept.iter().map(|a| (a.xid.as_str(), *a)).collect();
    let mut item_orders = Vec::with_capacity(rows.len());
    let (mut item_skus, mut item_spus, mut item_qty, mut item_prices) = (vec![], vec![], vec![], vec![]);
    let mut events = Vec::with_capacity(rows.len());
    let mut receipts = HashMap::with_capacity(rows.len());
    for (order_id, xid, order_sn, created_at, pay_by) in rows {
        let attempt = by_xid.get(xid.as_str()).ok_or_else(|| anyhow::anyhow!("an unknown XID was inserted"))?;
        let (sku_id, qty) = attempt.item();
        let sku = attempt.sku();
        item_orders.push(order_id);
        item_skus.push(sku_id.get());
        item_spus.push(sku.spu_id.get());
        item_qty.push(i32::try_from(qty).map_err(anyhow::Error::from)?);
        item_prices.push(sku.price_cents);
        let order_sn = OrderSn::try_from(order_sn).map_err(anyhow::Error::from)?;
        let new_order = NewOrder {
            order_sn,
            xid: xid.clone(),
            user: attempt.user,
            live_id,
            goods_items: vec![OrderItem { sku_id, quantity: qty }],
            total_cents: sku.price_cents * qty,
            created_at,
            pay_by,
            trace_id: attempt.order.request.trace_id.clone(),
        };
        events.push(new_order.event());
        let receipt = new_order.receipt();
        receipts.insert(xid, receipt);
    }
    sqlx::query(
        "INSERT INTO order_items (order_id, sku_id, spu_id, quantity, price_cents)
         SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::INTEGER[], $5::BIGINT[])",
    )
    .bind(&item_orders)
    .bind(&item_skus)
    .bind(&item_spus)
    .bind(&item_qty)
    .bind(&item_prices)
    .execute(&mut *conn)
    .await?;
    let outbox = enqueue_many(&mut *conn, live_id, &events, "xid").await?;
    let mut committed = HashMap::with_capacity(receipts.len());
    for (outbox_id, xid) in outbox {
        if let Some(receipt) = receipts.remove(&xid) {
            committed.insert(xid, Committed { receipt, outbox_id, settled: false });
        }
    }
    Ok(committed)
}
