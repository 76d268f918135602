//! The outbox relay: publishes unpublished outbox rows to their Redis Stream
//! and marks them published. Safe in several processes at once (`FOR UPDATE
//! SKIP LOCKED`); a crash after the publish and before the commit publishes the
//! row again, which consumers deduplicate by event id.

use std::{sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio::sync::Notify;

use super::outbox;
use crate::{
    error::Result,
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

const BATCH: i64 = 200;
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long the request path has to publish an order event before the relay does.
pub const ORDER_GRACE: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Relay {
    db: PgPool,
    redis: Redis,
    wake: Arc<Notify>,
}

impl Relay {
    pub fn new(db: PgPool, redis: Redis) -> Self {
        Self { db, redis, wake: Arc::new(Notify::new()) }
    }

    /// Wakes the relay at once (called after a commit that wrote the outbox).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// What cuts the relay's idle wait short.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Publishes one batch; returns how many rows it published.
    #[tracing::instrument(skip_all)]
    pub async fn drain_once(&self) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        // Room events go at once. Order events are first the request path's to
        // publish and then the fail log's: the relay (the backup channel) takes
        // only those unconfirmed after a few seconds and owned by no fail-log row.
        let rows: Vec<outbox::Row> = sqlx::query_as(
            "SELECT o.id, o.stream, o.event_type, o.live_id, o.payload FROM outbox o
              WHERE o.published_at IS NULL
                AND (o.stream = 'room'
                     OR (o.created_at < now() - make_interval(secs => $2)
                         AND NOT EXISTS (SELECT 1 FROM live_order_sync_fail_log f WHERE f.outbox_id = o.id)))
              ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED",
        )
        .bind(BATCH)
        .bind(ORDER_GRACE.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for row in &rows {
            row.entry().add_to(&mut pipe, &self.redis.keys.stream(row.stream()?));
            pipe.ignore();
        }
        let mut conn = self.redis.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows.len())
    }
}

#[async_trait::async_trait]
impl Worker for Relay {
    fn name(&self) -> &'static str {
        "outbox-relay"
    }

    fn period(&self) -> Duration {
        IDLE_POLL
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        Ok(if self.drain_once().await? > 0 { Step::Busy } else { Step::Idle })
    }
}
