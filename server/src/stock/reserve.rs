//! The stock gate as the order path uses it: reserve every item in Redis,
//! refilling counters Redis lost from Postgres first; when Redis cannot be
//! reached, let Postgres decide alone, a bounded number of orders at a time,
//! until Redis answers again and its counters were reconciled ([`Recovery`]).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
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
    reconcile, record,
};
use crate::{
    error::{Error, Result},
    orders::{Quantity, Xid},
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

/// While Redis is unreachable Postgres decides alone, this many orders at once.
const PG_ONLY_CONCURRENCY: usize = 8;
const PG_ONLY_WAIT: Duration = Duration::from_millis(500);

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
    /// Set when the gate failed; cleared once Redis answers again and its
    /// counters were rebuilt from Postgres.
    degraded: AtomicBool,
    pg_only: Semaphore,
}

impl StockGate {
    pub fn new(db: PgPool, redis: Redis) -> Self {
        Self {
            gate: Gate::new(redis.clone()),
            db,
            redis,
            degraded: AtomicBool::new(false),
            pg_only: Semaphore::new(PG_ONLY_CONCURRENCY),
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

    /// Holds every item's quantity for the attempt `xid`: `sold_out` when the
    /// gate says so, without touching Postgres.
    #[tracing::instrument(skip_all, fields(%live_id, %xid))]
    pub async fn hold(&self, live_id: LiveId, xid: &Xid, items: &[(SkuId, Quantity)]) -> Result<Hold<'_>> {
        if !self.is_degraded() {
            match self.reserve(live_id, xid, items).await {
                Ok(()) => return Ok(Hold::Reserved),
                Err(err) if err.is_unreachable() => {
                    tracing::warn!(error = %err, "Redis unreachable; Postgres decides alone");
                    self.degraded.store(true, Ordering::Relaxed);
                    // If the script did run, the reservation is released (once) here or by the sweeper.
                    let _ = self.gate.release(live_id, xid).await;
                }
                Err(err) => return Err(err),
            }
        }
        let permit = tokio::time::timeout(PG_ONLY_WAIT, self.pg_only.acquire())
            .await
            .map_err(|_| AppError::Unavailable)?
            .map_err(|_| AppError::Unavailable)?;
        Ok(Hold::Ungated(permit))
    }

    async fn reserve(&self, live_id: LiveId, xid: &Xid, items: &[(SkuId, Quantity)]) -> Result<()> {
        for _ in 0..2 {
            match self.gate.reserve(live_id, xid, items, Utc::now().timestamp_millis()).await {
                Ok(Reserve::Reserved) => return Ok(()),
                Ok(Reserve::SoldOut(_)) => return Err(AppError::SoldOut.into()),
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

    /// After the commit: the stock stays taken; the sweeper confirms what this misses.
    pub async fn confirm(&self, live_id: LiveId, xid: &Xid) {
        if let Err(err) = self.gate.confirm(live_id, xid).await {
            tracing::warn!(error = %err, %xid, "confirm failed; the sweeper will confirm it");
        }
    }

    /// The attempt never committed: give the stock back (level-1 compensation).
    pub async fn release(&self, live_id: LiveId, xid: &Xid) {
        if let Err(err) = self.gate.release(live_id, xid).await {
            tracing::warn!(error = %err, %xid, "release failed; the sweeper will release it");
        }
    }
}

/// Once Redis answers again, rebuilds its counters from Postgres and only
/// then lets the gate decide again.
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
            reconcile::reconcile(&stock.db, &stock.gate).await?;
            stock.degraded.store(false, Ordering::Relaxed);
            tracing::info!("Redis is back; stock rebuilt from Postgres, gating again");
        }
        Ok(Step::Idle)
    }
}
