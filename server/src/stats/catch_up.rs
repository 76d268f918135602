//! "Published" is not "delivered": the statistics reconciler compares the
//! committed orders with `live_order_stream` and counts directly every order
//! older than a short grace period that never arrived there, whatever kept it
//! away (a Redis restart that lost the stream, a trimmed stream, a dead
//! consumer, a dead letter). Counting is idempotent by `order_sn`
//! ([`super::count`]), so the consumer group delivering the same order later,
//! or two processes catching up at once, count it once.
//!
//! A cursor in Postgres remembers the last order known to be counted; it only
//! moves past orders placed long enough ago that no order transaction older
//! than them can still be open, so an order that commits late is never skipped.

use std::{sync::Arc, time::Duration};

use app::ids::LiveId;
use sqlx::PgPool;

use super::{count, window};
use crate::{
    error::Result,
    metrics::Metrics,
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

/// How many missing orders one pass counts at most.
const BATCH: i64 = 500;
/// Longer than any order transaction can stay open (its deadline is 20 s):
/// the cursor never passes an order younger than this.
const SETTLED_AFTER: Duration = Duration::from_secs(300);

/// One pass: counts the orders past the cursor, older than `grace`, missing
/// from the stream; returns how many it counted.
pub async fn catch_up(db: &PgPool, redis: &Redis, grace: Duration) -> Result<usize> {
    let mut tx = db.begin().await?;
    // One process walks the cursor at a time; the others skip this pass.
    let cursor: Option<i64> =
        sqlx::query_scalar("SELECT last_order_id FROM stats_reconcile_cursor FOR UPDATE SKIP LOCKED")
            .fetch_optional(&mut *tx)
            .await?;
    let Some(cursor) = cursor else { return Ok(0) };
    let missing: Vec<(i64, String, i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT o.id, o.order_sn, o.live_id, o.created_at FROM orders o
          WHERE o.id > $1 AND o.created_at < now() - make_interval(secs => $2::DOUBLE PRECISION / 1000)
            AND NOT EXISTS (SELECT 1 FROM live_order_stream s WHERE s.order_sn = o.order_sn)
          ORDER BY o.id LIMIT $3",
    )
    .bind(cursor)
    .bind(grace.as_millis() as i64)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    for (_, order_sn, live_id, created_at) in &missing {
        count::record(db, order_sn).await?;
        let live_id = LiveId::new(*live_id).map_err(anyhow::Error::from)?;
        // The window is Redis's; if Redis is down it is rebuilt from the stream later.
        if let Err(err) = window::add(redis, live_id, order_sn, created_at.timestamp_millis()).await {
            tracing::warn!(error = %err, %live_id, "order window not updated; it is rebuilt when read");
        }
        tracing::warn!(%order_sn, %live_id, "counted an order its event never delivered");
    }
    // Every order up to the last one counted is in the stream now; past a full
    // batch the rest waits for the next pass.
    let limit = if missing.len() as i64 == BATCH { missing.last().map(|m| m.0) } else { None };
    sqlx::query(
        "UPDATE stats_reconcile_cursor SET last_order_id = GREATEST(last_order_id, COALESCE(
           (SELECT MAX(id) FROM orders WHERE id > $1 AND ($2::BIGINT IS NULL OR id <= $2)
               AND created_at < now() - make_interval(secs => $3::DOUBLE PRECISION)), last_order_id))",
    )
    .bind(cursor)
    .bind(limit)
    .bind(SETTLED_AFTER.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(missing.len())
}

/// The statistics reconciler of this process (every process runs one; one
/// walks the cursor at a time).
pub struct CatchUp {
    pub db: PgPool,
    pub redis: Redis,
    /// How old an undelivered order must be before it is counted directly.
    pub grace: Duration,
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for CatchUp {
    fn name(&self) -> &'static str {
        "stats-catch-up"
    }

    fn period(&self) -> Duration {
        (self.grace / 2).clamp(Duration::from_millis(200), Duration::from_secs(5))
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let counted = catch_up(&self.db, &self.redis, self.grace).await?;
        self.metrics.stats_catch_ups.inc_by(counted as u64);
        Ok(if counted as i64 == BATCH { Step::Busy } else { Step::Idle })
    }
}
