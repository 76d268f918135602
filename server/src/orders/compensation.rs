//! Compensation, every loop safe in several processes at once:
//! - level 2 (S5): the fail-log worker re-pushes due rows with exponential
//!   backoff and jitter, and parks a row as `dead` after `MAX_RETRIES`;
//! - the sweeper releases reservations whose attempt died before committing
//!   (and confirms those that did commit);
//! - reconciliation resets Redis's stock from Postgres and reports drift, and
//!   runs whenever Redis comes back after an outage, before it gates again.

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use app::{
    error::AppError,
    ids::{LiveId, SkuId, UserId},
    model::SyncFailure,
};
use chrono::Utc;
use rand::Rng;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{
    gate::Gate,
    publish::{error_code, Publisher},
    Orders,
};
use crate::{events::WorkerControl, failure::store_error, keyspace::Redis};

pub const MAX_RETRIES: i32 = 8;
/// An attempt still open after this long died (the order transaction times out at 10 s).
const ABANDONED_AFTER: Duration = Duration::from_secs(30);

/// Backoff before retry `n` (1-based): 1 s, 2 s, 4 s, ... capped at 5 min, ×[0.5, 1.5).
pub fn backoff(retry: i32) -> Duration {
    let base = Duration::from_secs(1u64 << retry.clamp(0, 9) as u64).min(Duration::from_secs(300));
    base.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    outbox_id: i64,
    retry_count: i32,
}

/// How long a worker owns the rows it claimed before another may take them.
const LEASE_SECS: f64 = 30.0;

/// Re-pushes due fail-log rows once; returns how many were delivered. Rows are
/// claimed with a lease (other processes skip them meanwhile) and published
/// with no transaction open, so a slow Redis holds no row locks.
pub async fn retry_due(db: &PgPool, publisher: &Publisher) -> anyhow::Result<usize> {
    let due: Vec<Due> = sqlx::query_as(
        "UPDATE live_order_sync_fail_log SET next_retry_at = now() + make_interval(secs => $1), updated_at = now()
          WHERE id IN (SELECT id FROM live_order_sync_fail_log
                        WHERE state = 'pending' AND next_retry_at <= now()
                        ORDER BY next_retry_at LIMIT 50 FOR UPDATE SKIP LOCKED)
          RETURNING id, outbox_id, retry_count",
    )
    .bind(LEASE_SECS)
    .fetch_all(db)
    .await?;
    let mut delivered = 0;
    for row in due {
        match publisher.send(row.outbox_id).await {
            Ok(()) => {
                delivered += 1;
                sqlx::query(
                    "UPDATE live_order_sync_fail_log SET state = 'delivered', updated_at = now() WHERE id = $1",
                )
                .bind(row.id)
                .execute(db)
                .await?;
            }
            Err(err) => {
                let retries = row.retry_count + 1;
                let state = if retries >= MAX_RETRIES { "dead" } else { "pending" };
                let wait = backoff(retries);
                tracing::warn!(error = ?err, fail_log = row.id, retries, state, "re-push failed");
                sqlx::query(
                    "UPDATE live_order_sync_fail_log
                        SET retry_count = $2, last_error_code = $3, state = $4,
                            next_retry_at = now() + make_interval(secs => $5), updated_at = now()
                      WHERE id = $1",
                )
                .bind(row.id)
                .bind(retries)
                .bind(error_code(&err))
                .bind(state)
                .bind(wait.as_secs_f64())
                .execute(db)
                .await?;
            }
        }
    }
    Ok(delivered)
}

#[derive(sqlx::FromRow)]
struct FailureRow {
    id: i64,
    order_sn: String,
    live_id: i64,
    fail_time: chrono::DateTime<Utc>,
    retry_count: i32,
    last_error_code: String,
    next_retry_at: chrono::DateTime<Utc>,
    state: String,
}

/// The fail-log rows of `owner`'s rooms (one room, or all), newest first.
pub async fn failures_of(db: &PgPool, owner: UserId, live_id: Option<LiveId>) -> Result<Vec<SyncFailure>, AppError> {
    let rows: Vec<FailureRow> = sqlx::query_as(
        "SELECT f.id, f.order_sn, f.live_id, f.fail_time, f.retry_count, f.last_error_code, f.next_retry_at, f.state
           FROM live_order_sync_fail_log f JOIN live_rooms r ON r.id = f.live_id
          WHERE r.owner_id = $1 AND ($2::BIGINT IS NULL OR f.live_id = $2)
          ORDER BY f.fail_time DESC LIMIT 500",
    )
    .bind(owner.get())
    .bind(live_id.map(LiveId::get))
    .fetch_all(db)
    .await
    .map_err(store_error)?;
    let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SyncFailure {
                id: r.id,
                order_sn: r.order_sn,
                live_id: LiveId::new(r.live_id).ok()?,
                fail_time: time(r.fail_time),
                retry_count: r.retry_count,
                last_error_code: r.last_error_code,
                next_retry_at: time(r.next_retry_at),
                state: r.state,
            })
        })
        .collect())
}

/// Makes one fail-log row of `owner`'s rooms due now (a dead one comes back,
/// its retry count kept) and runs the worker once.
pub async fn retry_now(db: &PgPool, publisher: &Publisher, owner: UserId, id: i64) -> Result<(), AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT r.owner_id FROM live_order_sync_fail_log f JOIN live_rooms r ON r.id = f.live_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(store_error)?;
    match found {
        None => return Err(AppError::not_found("sync failure")),
        Some(o) if o != owner.get() => return Err(AppError::forbidden()),
        Some(_) => {}
    }
    sqlx::query(
        "UPDATE live_order_sync_fail_log SET state = 'pending', next_retry_at = now(), updated_at = now()
          WHERE id = $1 AND state <> 'delivered'",
    )
    .bind(id)
    .execute(db)
    .await
    .map_err(store_error)?;
    retry_due(db, publisher).await.map_err(store_error)?;
    Ok(())
}

/// Releases (or confirms) reservations of attempts older than `ABANDONED_AFTER`.
pub async fn sweep(db: &PgPool, gate: &Gate, older_than: Duration) -> anyhow::Result<usize> {
    let rooms: Vec<i64> = sqlx::query_scalar("SELECT id FROM live_rooms WHERE status = 'live'").fetch_all(db).await?;
    let cutoff = Utc::now().timestamp_millis() - older_than.as_millis() as i64;
    let mut settled = 0;
    for live_id in rooms.into_iter().filter_map(|id| LiveId::new(id).ok()) {
        for xid in gate.open_before(live_id, cutoff).await? {
            let committed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE xid = $1)")
                .bind(&xid)
                .fetch_one(db)
                .await?;
            if committed {
                gate.confirm(live_id, &xid).await?;
            } else {
                tracing::warn!(%xid, %live_id, "releasing the reservation of an attempt that never committed");
                gate.release(live_id, &xid).await?;
            }
            settled += 1;
        }
    }
    Ok(settled)
}

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
async fn settle_committed(db: &PgPool, gate: &Gate, live_id: LiveId) -> anyhow::Result<()> {
    for xid in gate.open_before(live_id, i64::MAX).await? {
        let committed: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE xid = $1)").bind(&xid).fetch_one(db).await?;
        if committed {
            gate.confirm(live_id, &xid).await?;
        }
    }
    Ok(())
}

/// Resets one SKU's gate stock in one room from Postgres (after a stock edit).
pub async fn reconcile_sku(db: &PgPool, gate: &Gate, live_id: LiveId, sku_id: SkuId) -> anyhow::Result<()> {
    settle_committed(db, gate, live_id).await?;
    let stock: i32 =
        sqlx::query_scalar("SELECT stock FROM skus WHERE id = $1").bind(sku_id.get()).fetch_one(db).await?;
    let key = gate.stock_key(live_id, sku_id);
    let held: i64 = gate.reserved(live_id).await?.into_iter().filter(|(k, _)| *k == key).map(|(_, q)| q).sum();
    gate.set(live_id, sku_id, (i64::from(stock) - held).max(0)).await?;
    Ok(())
}

/// Sets every bound SKU's gate stock to Postgres's stock minus what open
/// attempts hold; returns the drift it corrected.
pub async fn reconcile(db: &PgPool, gate: &Gate) -> anyhow::Result<Vec<Drift>> {
    let rows: Vec<(i64, i64, i32)> = sqlx::query_as(
        "SELECT g.live_id, k.id, k.stock FROM live_room_goods g JOIN skus k ON k.spu_id = g.spu_id ORDER BY g.live_id, k.id",
    )
    .fetch_all(db)
    .await?;
    let mut drift = Vec::new();
    let mut reserved_by_room: Option<(LiveId, Vec<(String, i64)>)> = None;
    for (live, sku, stock) in rows {
        let (Ok(live_id), Ok(sku_id)) = (LiveId::new(live), SkuId::new(sku)) else { continue };
        if reserved_by_room.as_ref().is_none_or(|(l, _)| *l != live_id) {
            settle_committed(db, gate, live_id).await?;
            reserved_by_room = Some((live_id, gate.reserved(live_id).await?));
        }
        let key = gate.stock_key(live_id, sku_id);
        let held = reserved_by_room
            .as_ref()
            .and_then(|(_, r)| r.iter().find(|(k, _)| *k == key))
            .map(|(_, q)| *q)
            .unwrap_or(0);
        let expected = (i64::from(stock) - held).max(0);
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

/// The background loops of this process.
pub fn spawn(orders: Arc<Orders>, redis: Redis, control: WorkerControl, stop: CancellationToken) {
    let db = orders.db.clone();
    let publisher = orders.publisher.clone();
    let (c, s) = (control.clone(), stop.clone());
    tokio::spawn(every(Duration::from_millis(500), c, s, move || {
        let (db, publisher) = (db.clone(), publisher.clone());
        async move { retry_due(&db, &publisher).await.map(|_| ()) }
    }));
    let (db, gate) = (orders.db.clone(), orders.gate.clone());
    let (c, s) = (control.clone(), stop.clone());
    tokio::spawn(every(Duration::from_secs(5), c, s, move || {
        let (db, gate) = (db.clone(), gate.clone());
        async move { sweep(&db, &gate, ABANDONED_AFTER).await.map(|_| ()) }
    }));
    // Redis came back: rebuild its stock from Postgres before it gates again.
    tokio::spawn(every(Duration::from_millis(500), control, stop, move || {
        let (orders, redis) = (orders.clone(), redis.clone());
        async move {
            if orders.redis_degraded.load(Ordering::Relaxed) && redis.ping(Duration::from_millis(300)).await {
                reconcile(&orders.db, &orders.gate).await?;
                orders.redis_degraded.store(false, Ordering::Relaxed);
                tracing::info!("Redis is back; stock rebuilt from Postgres, gating again");
            }
            Ok(())
        }
    }));
}

async fn every<F, Fut>(period: Duration, control: WorkerControl, stop: CancellationToken, mut task: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = control.wait_running() => {}
        }
        if let Err(err) = task().await {
            tracing::warn!(error = ?err, "compensation loop failed; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_ceiling() {
        for retry in 1..=12 {
            let base = (1u64 << retry.min(9)).min(300) as f64;
            let wait = backoff(retry).as_secs_f64();
            assert!(wait >= base * 0.5 && wait < base * 1.5, "retry {retry}: {wait}");
        }
    }
}
