//! Bringing the gate's counters back to the record: each SKU's counter is set
//! to Postgres's stock less what the room's open attempts still hold.
//!
//! The order of the reads makes a correction err only upwards, never below
//! the truth: Postgres's stock first, then the open attempts, then which of
//! those committed (they hold nothing: their stock is already out of
//! Postgres's figure), then the counter itself, written by one script that
//! sums the reservations at the moment it writes. An attempt that commits
//! between the reads can leave the counter a little high until the next pass;
//! Postgres, which has the last word on every order, refuses what the gate
//! let through. Run after a bind or a stock edit, on every process
//! periodically for the rooms that are active ([`Reconciler`]), when Redis
//! answers again after an outage, and by hand (`server reconcile-stock`).

use std::{sync::Arc, time::Duration};

use app::ids::{LiveId, SkuId};
use sqlx::PgPool;

use super::{gate::Gate, record, reserve::StockGate};
use crate::{
    error::Result,
    orders, rooms,
    startup::worker::{Step, Worker},
};

/// One SKU whose Redis stock differed from what it should hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub live_id: LiveId,
    pub sku_id: SkuId,
    pub redis: Option<i64>,
    pub expected: i64,
}

impl Drift {
    /// How many units the correction moved (a missing counter counts as zero).
    pub fn units(&self) -> u64 {
        self.expected.abs_diff(self.redis.unwrap_or(0))
    }
}

/// Corrects the counters of one room's bound SKUs (all, or only `only`).
pub async fn reconcile_room(db: &PgPool, gate: &Gate, live_id: LiveId, only: Option<&[SkuId]>) -> Result<Vec<Drift>> {
    let stock = record::bound_in_room(db, live_id, only).await?;
    if stock.is_empty() {
        return Ok(Vec::new());
    }
    let open = gate.open_before(live_id, i64::MAX).await?;
    let committed = orders::committed_among(db, &open).await?;
    let mut drift = Vec::new();
    for (sku_id, pg_stock) in stock {
        let correction = gate.correct(live_id, sku_id, pg_stock, &committed).await?;
        if correction.previous != Some(correction.now) {
            drift.push(Drift { live_id, sku_id, redis: correction.previous, expected: correction.now });
        }
    }
    // The committed attempts are settled: their holds go.
    let settled: Vec<&orders::Xid> = committed.iter().collect();
    gate.confirm(live_id, &settled).await?;
    Ok(drift)
}

/// Corrects every bound SKU of the given rooms; returns the drift it corrected.
async fn reconcile_rooms(db: &PgPool, gate: &Gate, rooms: Vec<LiveId>) -> Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for live_id in rooms {
        drift.extend(reconcile_room(db, gate, live_id, None).await?);
    }
    if !drift.is_empty() {
        tracing::warn!(count = drift.len(), ?drift, "Redis stock drifted from Postgres; corrected");
    }
    Ok(drift)
}

/// Every room, ended or not (the command-line task).
pub async fn reconcile(db: &PgPool, gate: &Gate) -> Result<Vec<Drift>> {
    reconcile_rooms(db, gate, rooms::all_ids(db).await?).await
}

/// The rooms that are live or may still hold attempts (what the loop visits).
pub async fn reconcile_active(db: &PgPool, gate: &Gate) -> Result<Vec<Drift>> {
    reconcile_rooms(db, gate, rooms::active_ids(db).await?).await
}

/// The periodic reconciler of this process. Several processes may run it at
/// once: each correction is computed where it is written.
pub struct Reconciler {
    pub db: PgPool,
    pub stock: Arc<StockGate>,
    pub every: Duration,
}

#[async_trait::async_trait]
impl Worker for Reconciler {
    fn name(&self) -> &'static str {
        "stock-reconciler"
    }

    fn period(&self) -> Duration {
        self.every
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        if !self.stock.is_degraded() {
            let drift = reconcile_active(&self.db, self.stock.gate()).await?;
            self.stock.count_drift(&drift);
        }
        Ok(Step::Idle)
    }
}
