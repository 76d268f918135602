//! The sweeper: settles the reservations of attempts that died half-way. An
//! attempt still open after [`ABANDONED_AFTER`] either committed (its hold is
//! confirmed) or never will (its stock is released), decided by its XID.

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;

use crate::{
    error::Result,
    orders, rooms,
    startup::worker::{Step, Worker},
    stock::Gate,
};

/// An attempt still open after this long died (the order transaction times out at 10 s).
const ABANDONED_AFTER: Duration = Duration::from_secs(30);

/// Releases (or confirms) reservations of attempts older than `older_than`.
pub async fn sweep(db: &PgPool, gate: &Gate, older_than: Duration) -> Result<usize> {
    let cutoff = Utc::now().timestamp_millis() - older_than.as_millis() as i64;
    let mut settled = 0;
    for live_id in rooms::active_ids(db).await? {
        for xid in gate.open_before(live_id, cutoff).await? {
            if orders::committed(db, &xid).await? {
                gate.confirm(live_id, &[&xid]).await?;
            } else {
                tracing::warn!(%xid, %live_id, "releasing the reservation of an attempt that never committed");
                gate.release(live_id, &xid).await?;
            }
            settled += 1;
        }
    }
    Ok(settled)
}

/// The sweeper of this process.
pub struct Sweeper {
    pub db: PgPool,
    pub gate: Gate,
}

#[async_trait::async_trait]
impl Worker for Sweeper {
    fn name(&self) -> &'static str {
        "reservation-sweeper"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(5)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        sweep(&self.db, &self.gate, ABANDONED_AFTER).await?;
        Ok(Step::Idle)
    }
}
