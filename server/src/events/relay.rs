//! The outbox relay: publishes unpublished outbox rows to their Redis Stream
//! and marks them published. Safe in several processes at once (`FOR UPDATE
//! SKIP LOCKED`); a crash after the publish and before the commit publishes the
//! row again, which consumers deduplicate by event id.

use std::{sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{outbox::Stream, WorkerControl};
use crate::keyspace::Redis;

const BATCH: i64 = 200;
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long the request path has to publish an order event before the relay does.
pub const ORDER_GRACE: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Streams are trimmed to about this many entries; consumers are far behind
/// only when something is broken, and the outbox stays the record.
pub const STREAM_MAXLEN: usize = 100_000;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    stream: String,
    event_type: String,
    live_id: i64,
    payload: serde_json::Value,
}

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

    /// Publishes one batch; returns how many rows it published.
    pub async fn drain_once(&self) -> anyhow::Result<usize> {
        let mut tx = self.db.begin().await?;
        // Room events go at once. Order events are first the request path's to
        // publish and then the fail log's: the relay (the backup channel) takes
        // only those unconfirmed after a few seconds and owned by no fail-log row.
        let rows: Vec<Row> = sqlx::query_as(
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
            let stream = if row.stream == Stream::Orders.as_str() { Stream::Orders } else { Stream::Room };
            pipe.xadd_maxlen(
                self.redis.keys.stream(stream),
                redis::streams::StreamMaxlen::Approx(STREAM_MAXLEN),
                "*",
                &[
                    ("event_id", row.id.to_string()),
                    ("type", row.event_type.clone()),
                    ("live_id", row.live_id.to_string()),
                    ("payload", row.payload.to_string()),
                ],
            )
            .ignore();
        }
        let mut conn = self.redis.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Drains until `stop`, backing off exponentially while Postgres or Redis fail.
    pub async fn run(self, control: WorkerControl, stop: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = control.wait_running() => {}
            }
            match self.drain_once().await {
                Ok(n) if n > 0 => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Ok(_) => {
                    backoff = Duration::from_millis(100);
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(IDLE_POLL) => {}
                    }
                }
                Err(err) => {
                    tracing::warn!(error = ?err, retry_in = ?backoff, "outbox relay failed; retrying");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
