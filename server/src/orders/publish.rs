//! Publishing order events to the order stream. The request path publishes
//! right after the commit (the primary channel); a failure is written to
//! `live_order_sync_fail_log`, whose worker owns that event from then on. The
//! outbox relay (the backup channel) takes only events that neither confirmed
//! nor logged within a few seconds, so each event has one retry path at a time.

use app::ids::LiveId;
use redis::AsyncCommands;
use sqlx::PgPool;

use super::faults::Faults;
use crate::{events::Stream, keyspace::Redis};

#[derive(Clone)]
pub struct Publisher {
    pub db: PgPool,
    pub redis: Redis,
    pub faults: Faults,
}

/// A short, stable code for what went wrong (`last_error_code`).
pub fn error_code(err: &anyhow::Error) -> &'static str {
    match err.downcast_ref::<redis::RedisError>() {
        Some(e) if e.is_timeout() => "redis_timeout",
        Some(e) if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() => "redis_unreachable",
        Some(_) => "redis_error",
        None if err.to_string().contains("injected") => "injected_fault",
        None => "publish_failed",
    }
}

impl Publisher {
    /// XADDs outbox row `outbox_id` to the order stream and marks it published.
    pub async fn send(&self, outbox_id: i64) -> anyhow::Result<()> {
        self.faults.hit("publish").await?;
        let (event_type, live_id, payload, published): (String, i64, serde_json::Value, bool) =
            sqlx::query_as("SELECT event_type, live_id, payload, published_at IS NOT NULL FROM outbox WHERE id = $1")
                .bind(outbox_id)
                .fetch_one(&self.db)
                .await?;
        if published {
            // Another channel delivered it already.
            return Ok(());
        }
        let mut conn = self.redis.conn.clone();
        let _: String = conn
            .xadd_maxlen(
                self.redis.keys.stream(Stream::Orders),
                redis::streams::StreamMaxlen::Approx(crate::events::relay::STREAM_MAXLEN),
                "*",
                &[
                    ("event_id", outbox_id.to_string()),
                    ("type", event_type),
                    ("live_id", live_id.to_string()),
                    ("payload", payload.to_string()),
                ],
            )
            .await?;
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = $1 AND published_at IS NULL")
            .bind(outbox_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// The primary channel: publish now; on failure hand the event to the fail log.
    pub async fn publish_order(&self, outbox_id: i64, live_id: LiveId, order_sn: &str) {
        let Err(err) = self.send(outbox_id).await else { return };
        let code = error_code(&err);
        tracing::warn!(error = ?err, order_sn, code, "order event not published; logged for retry");
        let logged = sqlx::query(
            "INSERT INTO live_order_sync_fail_log (outbox_id, order_sn, live_id, last_error_code, next_retry_at)
             VALUES ($1, $2, $3, $4, now() + interval '1 second') ON CONFLICT (outbox_id) DO NOTHING",
        )
        .bind(outbox_id)
        .bind(order_sn)
        .bind(live_id.get())
        .bind(code)
        .execute(&self.db)
        .await;
        if let Err(err) = logged {
            // The outbox row stays unpublished: the relay delivers it.
            tracing::error!(error = ?err, order_sn, "fail log not written; the outbox relay will deliver");
        }
    }
}
