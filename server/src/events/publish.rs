//! Publishing outbox rows now (one, or a coalesced group's): the request path's primary channel for order
//! events, and the fail log's retries. The outbox relay (the backup channel)
//! takes only rows that neither published nor logged within a few seconds, so
//! each event has one retry path at a time.

use redis::AsyncCommands;
use sqlx::PgPool;

use super::outbox;
use crate::{error::Result, faults::Faults, startup::redis::Redis};

#[derive(Clone)]
pub struct Publisher {
    db: PgPool,
    redis: Redis,
    faults: Faults,
}

impl Publisher {
    pub fn new(db: PgPool, redis: Redis, faults: Faults) -> Self {
        Self { db, redis, faults }
    }

    /// XADDs outbox row `outbox_id` to its stream and marks it published; a row
    /// another channel published already is left alone.
    #[tracing::instrument(skip(self))]
    pub async fn send(&self, outbox_id: i64) -> Result<()> {
        self.faults.hit("publish").await?;
        let unpublished: Option<outbox::Row> = sqlx::query_as(
            "SELECT id, stream, event_type, live_id, payload FROM outbox WHERE id = $1 AND published_at IS NULL",
        )
        .bind(outbox_id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = unpublished else {
            // Another channel delivered it already.
            return Ok(());
        };
        let mut conn = self.redis.conn.clone();
        let _: String = conn
            .xadd_maxlen(
                self.redis.keys.stream(row.stream()?),
                redis::streams::StreamMaxlen::Approx(super::stream::STREAM_MAXLEN),
                "*",
                &row.entry().fields(),
            )
            .await?;
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = $1 AND published_at IS NULL")
            .bind(outbox_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// [`send`](Self::send) for a coalesced group's rows at once: one read,
    /// one pipeline of XADDs, one update. All or nothing as far as the caller
    /// knows: on an error each row is sent again alone (and a failure there
    /// goes to the fail log).
    #[tracing::instrument(skip_all, fields(rows = outbox_ids.len()))]
    pub async fn send_many(&self, outbox_ids: &[i64]) -> Result<()> {
        self.faults.hit("publish").await?;
        let rows: Vec<outbox::Row> = sqlx::query_as(
            "SELECT id, stream, event_type, live_id, payload FROM outbox
              WHERE id = ANY($1) AND published_at IS NULL ORDER BY id",
        )
        .bind(outbox_ids)
        .fetch_all(&self.db)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for row in &rows {
            let stream = self.redis.keys.stream(row.stream()?);
            let maxlen = redis::streams::StreamMaxlen::Approx(super::stream::STREAM_MAXLEN);
            pipe.xadd_maxlen(stream, maxlen, "*", &row.entry().fields()).ignore();
        }
        let mut conn = self.redis.conn.clone();
        let () = pipe.query_async(&mut conn).await?;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL")
            .bind(&ids)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}
