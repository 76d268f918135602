//! Bringing the gate's counters back to the record: each bound SKU's counter
//! is set to Postgres's stock minus what open attempts still hold. Run after a
//! stock edit, when Redis answers again after an outage (before it gates
//! again), and by hand (`server reconcile-stock`).

use app::ids::{LiveId, SkuId};
use sqlx::PgPool;

use super::{gate::Gate, record};
use crate::{error::Result, orders};

/// One SKU whose Redis stock differed from Postgres's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub live_id: LiveId,
    pub sku_id: SkuId,
    pub redis: Option<i64>,
    pub expected: i64,
}

/// Confirms the open attempts of a room that did commit (their stock is
/// already out of Postgres), so that only attempts still in doubt count as held.
async fn settle_committed(db: &PgPool, gate: &Gate, live_id: LiveId) -> Result<()> {
    for xid in gate.open_before(live_id, i64::MAX).await? {
        if orders::committed(db, &xid).await? {
            gate.confirm(live_id, &xid).await?;
        }
    }
    Ok(())
}

/// What the counter should hold: Postgres's stock less what open attempts hold.
async fn expected(gate: &Gate, live_id: LiveId, sku_id: SkuId, stock: i64) -> Result<i64> {
    Ok((stock - gate.reserved(live_id, sku_id).await?).max(0))
}

/// Resets one SKU's gate stock in one room from Postgres (after a stock edit).
pub async fn reconcile_sku(db: &PgPool, gate: &Gate, live_id: LiveId, sku_id: SkuId) -> Result<()> {
    settle_committed(db, gate, live_id).await?;
    let stock = record::current(db, &[sku_id]).await?.first().map(|(_, s)| *s).unwrap_or(0);
    gate.set(live_id, sku_id, expected(gate, live_id, sku_id, stock).await?).await?;
    Ok(())
}

/// Sets every bound SKU's gate stock to what it should hold; returns the
/// drift it corrected.
pub async fn reconcile(db: &PgPool, gate: &Gate) -> Result<Vec<Drift>> {
    let mut drift = Vec::new();
    let mut settled: Option<LiveId> = None;
    for (live_id, sku_id, stock) in record::bound_everywhere(db).await? {
        if settled != Some(live_id) {
            settle_committed(db, gate, live_id).await?;
            settled = Some(live_id);
        }
        let expected = expected(gate, live_id, sku_id, stock).await?;
        let current = gate.get(live_id, sku_id).await?;
        if current != Some(expected) {
            gate.set(live_id, sku_id, expected).await?;
            drift.push(Drift { live_id, sku_id, redis: current, expected });
        }
    }
    if !drift.is_empty() {
        tracing::warn!(count = drift.len(), ?drift, "Redis stock drifted from Postgres; reset");
    }
    Ok(drift)
}
