//! Level-2 compensation: an order event the request path could not publish is
//! written to `live_order_sync_fail_log`, and its worker re-pushes due rows
//! with exponential backoff and jitter, parking a row as `dead` after
//! [`MAX_RETRIES`]; rows that died because Redis was away come back by
//! themselves once it answers again. The console lists the rows of a
//! streamer's rooms and can make one due now.

use std::time::{Duration, Instant};

use app::{
    error::AppError,
    ids::{LiveId, UserId},
    model::SyncFailure,
};
use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use sqlx::PgPool;

use crate::{
    error::{Error, Result},
    events::Publisher,
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

pub const MAX_RETRIES: i32 = 8;
/// How long a worker owns the rows it claimed before another may take them.
const LEASE_SECS: f64 = 30.0;

/// Backoff before retry `n` (1-based): 1 s, 2 s, 4 s, ... capped at 5 min, ×[0.5, 1.5).
pub fn backoff(retry: i32) -> Duration {
    let base = Duration::from_secs(1u64 << retry.clamp(0, 9) as u64).min(Duration::from_secs(300));
    base.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

/// A short, stable code for what went wrong (`last_error_code`).
pub fn error_code(err: &Error) -> &'static str {
    match err {
        Error::Redis(e) if e.is_timeout() => "redis_timeout",
        Error::Redis(e) if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() => {
            "redis_unreachable"
        }
        Error::Redis(_) => "redis_error",
        Error::Other(e) if e.to_string().contains("injected") => "injected_fault",
        _ => "publish_failed",
    }
}

/// Publishes an order's event on the primary channel now; should that
/// fail, the fail log owns it ([`log_failed_publish`]).
pub async fn publish_or_log(publisher: &Publisher, db: &PgPool, outbox_id: i64, live_id: LiveId, order_sn: &str) {
    if let Err(err) = publisher.send(outbox_id).await {
        log_failed_publish(db, outbox_id, live_id, order_sn, &err).await;
    }
}

/// The primary channel failed: the fail log owns the event from now on. If
/// even that write fails, the outbox row stays unpublished and the relay
/// delivers it.
async fn log_failed_publish(db: &PgPool, outbox_id: i64, live_id: LiveId, order_sn: &str, err: &Error) {
    let code = error_code(err);
    tracing::warn!(error = %err, order_sn, code, "order event not published; logged for retry");
    let logged = sqlx::query(
        "INSERT INTO live_order_sync_fail_log (outbox_id, order_sn, live_id, last_error_code, next_retry_at)
         VALUES ($1, $2, $3, $4, now() + interval '1 second') ON CONFLICT (outbox_id) DO NOTHING",
    )
    .bind(outbox_id)
    .bind(order_sn)
    .bind(live_id.get())
    .bind(code)
    .execute(db)
    .await;
    if let Err(err) = logged {
        tracing::error!(error = %err, order_sn, "fail log not written; the outbox relay will deliver");
    }
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    outbox_id: i64,
    retry_count: i32,
}

/// Re-pushes due fail-log rows once; returns how many were delivered. Rows are
/// claimed with a lease (other processes skip them meanwhile) and published
/// with no transaction open, so a slow Redis holds no row locks.
pub async fn retry_due(db: &PgPool, publisher: &Publisher) -> Result<usize> {
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
                tracing::warn!(error = %err, fail_log = row.id, retries, state, "re-push failed");
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
    #[sqlx(try_from = "i64")]
    live_id: LiveId,
    fail_time: DateTime<Utc>,
    retry_count: i32,
    last_error_code: String,
    next_retry_at: DateTime<Utc>,
    state: String,
}

/// The fail-log rows of `owner`'s rooms (one room, or all), newest first.
pub async fn failures_of(db: &PgPool, owner: UserId, live_id: Option<LiveId>) -> Result<Vec<SyncFailure>> {
    let rows: Vec<FailureRow> = sqlx::query_as(
        "SELECT f.id, f.order_sn, f.live_id, f.fail_time, f.retry_count, f.last_error_code, f.next_retry_at, f.state
           FROM live_order_sync_fail_log f JOIN live_rooms r ON r.id = f.live_id
          WHERE r.owner_id = $1 AND ($2::BIGINT IS NULL OR f.live_id = $2)
          ORDER BY f.fail_time DESC LIMIT 500",
    )
    .bind(owner.get())
    .bind(live_id.map(LiveId::get))
    .fetch_all(db)
    .await?;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    Ok(rows
        .into_iter()
        .map(|r| SyncFailure {
            id: r.id,
            order_sn: r.order_sn,
            live_id: r.live_id,
            fail_time: time(r.fail_time),
            retry_count: r.retry_count,
            last_error_code: r.last_error_code,
            next_retry_at: time(r.next_retry_at),
            state: r.state,
        })
        .collect())
}

/// Makes one fail-log row of `owner`'s rooms due now (a dead one comes back,
/// its retry count kept) and runs the worker once.
pub async fn retry_now(db: &PgPool, publisher: &Publisher, owner: UserId, id: i64) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT r.owner_id FROM live_order_sync_fail_log f JOIN live_rooms r ON r.id = f.live_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    match found {
        None => return Err(AppError::not_found("sync failure").into()),
        Some(o) if o != owner.get() => return Err(AppError::forbidden().into()),
        Some(_) => {}
    }
    sqlx::query(
        "UPDATE live_order_sync_fail_log SET state = 'pending', next_retry_at = now(), updated_at = now()
          WHERE id = $1 AND state <> 'delivered'",
    )
    .bind(id)
    .execute(db)
    .await?;
    retry_due(db, publisher).await?;
    Ok(())
}

/// Rows revived at most per pass.
const REVIVE_BATCH: i64 = 100;

/// Rows that went `dead` because Redis was unreachable (an outage that
/// outlasted every retry) come back once Redis answers again, a bounded batch
/// per pass; each then gets its retries anew. Rows that died of anything else
/// stay for a person to look at. Returns how many came back.
pub async fn revive_after_outage(db: &PgPool) -> Result<u64> {
    let revived = sqlx::query(
        "UPDATE live_order_sync_fail_log SET state = 'pending', retry_count = 0, next_retry_at = now(), updated_at = now()
          WHERE id IN (SELECT id FROM live_order_sync_fail_log
                        WHERE state = 'dead' AND last_error_code IN ('redis_unreachable', 'redis_timeout')
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)",
    )
    .bind(REVIVE_BATCH)
    .execute(db)
    .await?
    .rows_affected();
    if revived > 0 {
        tracing::info!(revived, "Redis answers again; fail-log rows that died in the outage are retried");
    }
    Ok(revived)
}

/// How often a retrier looks for rows that died in an outage.
const REVIVE_EVERY: Duration = Duration::from_secs(5);

/// The fail-log worker of this process.
pub struct Retrier {
    db: PgPool,
    redis: Redis,
    publisher: Publisher,
    revived_at: Option<Instant>,
}

impl Retrier {
    pub fn new(db: PgPool, redis: Redis, publisher: Publisher) -> Self {
        Self { db, redis, publisher, revived_at: None }
    }

    /// Brings back, every few seconds at most, the rows that died while Redis
    /// was away, once it answers.
    async fn revive(&mut self) -> Result<()> {
        if self.revived_at.is_some_and(|at| at.elapsed() < REVIVE_EVERY) {
            return Ok(());
        }
        self.revived_at = Some(Instant::now());
        if self.redis.ping(Duration::from_millis(300)).await {
            revive_after_outage(&self.db).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Worker for Retrier {
    fn name(&self) -> &'static str {
        "fail-log-retrier"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(500)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        self.revive().await?;
        retry_due(&self.db, &self.publisher).await?;
        Ok(Step::Idle)
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

    #[test]
    fn a_failed_publish_is_logged_with_a_short_stable_code() {
        let timeout = redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "slow"));
        assert_eq!(error_code(&Error::Redis(timeout)), "redis_timeout");
        assert_eq!(error_code(&Error::Other(anyhow::anyhow!("injected fault at publish"))), "injected_fault");
    }
}
