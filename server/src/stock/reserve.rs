//! The stock gate as the order path uses it: reserve every item in Redis,
//! refilling counters Redis lost from Postgres first.
//!
//! When a reserve fails because Redis cannot be reached, that attempt lets
//! Postgres decide alone (a bounded number at a time) and marks its SKUs as
//! dirty: their counters no longer include what Postgres sold, so each is
//! corrected before it gates again. Only after [`DEGRADE_AFTER`] failures in a
//! row does the whole process stop asking Redis; [`Recovery`] watches for
//! Redis to answer again, corrects the dirty SKUs and lets the gate decide.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::{
    error::AppError,
    ids::{LiveId, SkuId},
};
use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{
    gate::{Gate, Reserve},
    reconcile::{reconcile_room, Drift},
    record,
    sold_out::SoldOutFlags,
};
use crate::{
    error::{Error, Result},
    metrics::Metrics,
    orders::{Quantity, Xid},
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

/// While Redis is unreachable Postgres decides alone, this many orders at once.
const PG_ONLY_CONCURRENCY: usize = 8;
const PG_ONLY_WAIT: Duration = Duration::from_millis(500);
/// Failed reserves in a row before the process stops asking Redis.
pub const DEGRADE_AFTER: u32 = 3;

/// How an attempt's stock is held until its transaction ends.
pub enum Hold<'a> {
    /// Reserved in Redis under the attempt's XID: confirm or release it.
    Reserved,
    /// Redis is unreachable: Postgres decides alone under this permit.
    Ungated(SemaphorePermit<'a>),
}

pub struct StockGate {
    db: PgPool,
    redis: Redis,
    gate: Gate,
    metrics: Arc<Metrics>,
    /// Set after `DEGRADE_AFTER` failures in a row; cleared once Redis answers
    /// again and the dirty counters were corrected.
    degraded: AtomicBool,
    failures: AtomicU32,
    /// SKUs (per room) that Postgres sold without the gate: corrected before use.
    dirty: Mutex<HashSet<(LiveId, SkuId)>>,
    pg_only: Semaphore,
    sold_out: SoldOutFlags,
}

impl StockGate {
    pub fn new(db: PgPool, redis: Redis, metrics: Arc<Metrics>) -> Self {
        Self {
            gate: Gate::new(redis.clone()),
            db,
            redis,
            metrics,
            degraded: AtomicBool::new(false),
            failures: AtomicU32::new(0),
            dirty: Mutex::new(HashSet::new()),
            pg_only: Semaphore::new(PG_ONLY_CONCURRENCY),
            sold_out: SoldOutFlags::default(),
        }
    }

    /// The Redis counters and reservations themselves.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Whether orders are decided by Postgres alone right now.
    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Whether the gate refused one of these SKUs in the room within the last
    /// second and no stock came back since (as far as this process knows):
    /// the order is sold out without asking Redis or Postgres. Never while
    /// Postgres decides alone.
    pub fn flagged_sold_out(&self, live_id: LiveId, items: &[(SkuId, Quantity)]) -> bool {
        !self.is_degraded() && self.sold_out.refuses(live_id, items)
    }

    /// Corrects one room's counters (all bound SKUs, or `only`) and counts the drift.
    pub async fn reconcile_room(&self, live_id: LiveId, only: Option<&[SkuId]>) -> Result<Vec<Drift>> {
        let drift = reconcile_room(&self.db, &self.gate, live_id, only).await?;
        self.sold_out.lower(live_id, only);
        self.count_drift(&drift);
        Ok(drift)
    }

    pub fn count_drift(&self, drift: &[Drift]) {
        self.metrics.stock_drift_corrected.inc_by(drift.iter().map(Drift::units).sum());
    }

    /// Holds every item's quantity for the attempt `xid`: `sold_out` when the
    /// gate says so, without touching Postgres.
    #[tracing::instrument(skip_all, fields(%live_id, %xid))]
    pub async fn hold(&self, live_id: LiveId, xid: &Xid, items: &[(SkuId, Quantity)]) -> Result<Hold<'_>> {
        if !self.is_degraded() {
            match self.reserve(live_id, xid, items).await {
                Ok(()) => {
                    self.failures.store(0, Ordering::Relaxed);
                    return Ok(Hold::Reserved);
                }
                // Only Redis being away counts; Postgres trouble is not the gate's.
                Err(err @ Error::Redis(_)) if err.is_unreachable() => {
                    let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                    tracing::warn!(error = %err, failures, "Redis unreachable; Postgres decides this order alone");
                    if failures >= DEGRADE_AFTER {
                        self.degraded.store(true, Ordering::Relaxed);
                    }
                    // If the script did run, the reservation is released (once) here or by the sweeper.
                    let _ = self.gate.release(live_id, xid).await;
                }
                Err(err) => {
                    if matches!(err, Error::Refused(_)) {
                        // Redis answered (sold out): the failures were not in a row.
                        self.failures.store(0, Ordering::Relaxed);
                    }
                    return Err(err);
                }
            }
        }
        let permit = tokio::time::timeout(PG_ONLY_WAIT, self.pg_only.acquire())
            .await
            .map_err(|_| AppError::Unavailable)?
            .map_err(|_| AppError::Unavailable)?;
        self.dirty.lock().expect("lock poisoned").extend(items.iter().map(|(sku, _)| (live_id, *sku)));
        Ok(Hold::Ungated(permit))
    }

    /// The dirty SKUs among these, taken out of the dirty set.
    fn take_dirty(&self, live_id: LiveId, skus: impl Iterator<Item = SkuId>) -> Vec<SkuId> {
        let mut dirty = self.dirty.lock().expect("lock poisoned");
        skus.filter(|sku| dirty.remove(&(live_id, *sku))).collect()
    }

    async fn reserve(&self, live_id: LiveId, xid: &Xid, items: &[(SkuId, Quantity)]) -> Result<()> {
        let dirty = self.take_dirty(live_id, items.iter().map(|(sku, _)| *sku));
        if !dirty.is_empty() {
            if let Err(err) = self.reconcile_room(live_id, Some(&dirty)).await {
                self.dirty.lock().expect("lock poisoned").extend(dirty.iter().map(|sku| (live_id, *sku)));
                return Err(err);
            }
        }
        for _ in 0..2 {
            match self.gate.reserve(live_id, xid, items, Utc::now().timestamp_millis()).await {
                Ok(Reserve::Reserved) => return Ok(()),
                Ok(Reserve::SoldOut(sku, left)) => {
                    self.sold_out.raise(live_id, sku, left);
                    return Err(AppError::SoldOut.into());
                }
                Ok(Reserve::Missing(_)) => {
                    // Redis lost the counters: refill them from Postgres, then gate again.
                    let skus: Vec<SkuId> = items.iter().map(|(s, _)| *s).collect();
                    let stock = record::current(&self.db, &skus).await?;
                    self.gate.init(live_id, &stock).await?;
                }
                // The reply may be lost after the script ran: the XID tells.
                Err(err) => {
                    return match self.gate.holds(live_id, xid).await {
                        Ok(true) => Ok(()),
                        _ => Err(Error::Redis(err)),
                    }
                }
            }
        }
        Err(AppError::Unavailable.into())
    }

    /// After the commit: the stock stays taken; the sweeper confirms what this
    /// misses. Whether the gate confirmed them.
    pub async fn confirm(&self, live_id: LiveId, xids: &[&Xid]) -> bool {
        match self.gate.confirm(live_id, xids).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, attempts = xids.len(), "confirm failed; the sweeper will confirm it");
                false
            }
        }
    }

    /// The attempt never committed: give the stock back (level-1 compensation).
    pub async fn release(&self, live_id: LiveId, xid: &Xid) {
        if let Err(err) = self.gate.release(live_id, xid).await {
            tracing::warn!(error = %err, %xid, "release failed; the sweeper will release it");
        }
        self.sold_out.lower(live_id, None);
    }

    /// Corrects every dirty SKU; those that fail stay dirty.
    async fn correct_dirty(&self) -> Result<()> {
        let dirty: Vec<(LiveId, SkuId)> = self.dirty.lock().expect("lock poisoned").drain().collect();
        let mut rooms: Vec<LiveId> = dirty.iter().map(|(live, _)| *live).collect();
        rooms.sort_unstable();
        rooms.dedup();
        for live_id in rooms {
            let skus: Vec<SkuId> = dirty.iter().filter(|(l, _)| *l == live_id).map(|(_, s)| *s).collect();
            if let Err(err) = self.reconcile_room(live_id, Some(&skus)).await {
                self.dirty.lock().expect("lock poisoned").extend(skus.iter().map(|sku| (live_id, *sku)));
                return Err(err);
            }
        }
        Ok(())
    }
}

/// Once Redis answers again, corrects the counters Postgres sold past while it
/// was away and only then lets the gate decide again.
pub struct Recovery(pub Arc<StockGate>);

#[async_trait::async_trait]
impl Worker for Recovery {
    fn name(&self) -> &'static str {
        "gate-recovery"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(500)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let stock = &self.0;
        if stock.is_degraded() && stock.redis.ping(Duration::from_millis(300)).await {
            stock.correct_dirty().await?;
            stock.failures.store(0, Ordering::Relaxed);
            stock.degraded.store(false, Ordering::Relaxed);
            tracing::info!("Redis is back; the counters Postgres sold past were corrected, gating again");
        }
        Ok(Step::Idle)
    }
}
