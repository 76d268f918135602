//! The transactional outbox: an event is a row written in the same Postgres
//! transaction as the change it describes, so a crash between the commit and
//! the publish loses nothing: the relay publishes it later.

use app::ids::LiveId;
use sqlx::PgConnection;

use super::stream::{Entry, Stream, StreamEvent};
use crate::error::Result;

/// Writes one event in the caller's transaction; returns its id, which every
/// consumer uses to deduplicate. Its time is when it was written, not when its
/// transaction began, so the relay's grace period starts near the commit.
pub async fn enqueue<E: StreamEvent>(conn: &mut PgConnection, live_id: LiveId, event: &E) -> Result<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO outbox (stream, event_type, live_id, payload, created_at)
         VALUES ($1, $2, $3, $4::jsonb, clock_timestamp()) RETURNING id",
    )
    .bind(E::STREAM.as_str())
    .bind(event.kind_name())
    .bind(live_id.get())
    .bind(event.payload_json())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Writes several events of one room in one statement (a coalesced group of
/// orders); each row's id with the payload's `tag` field, to tell them apart.
pub async fn enqueue_many<E: StreamEvent>(
    conn: &mut PgConnection,
    live_id: LiveId,
    events: &[E],
    tag: &str,
) -> Result<Vec<(i64, String)>> {
    let kinds: Vec<&str> = events.iter().map(|e| e.kind_name()).collect();
    let payloads: Vec<String> = events.iter().map(|e| e.payload_json()).collect();
    let rows = sqlx::query_as(
        "INSERT INTO outbox (stream, event_type, live_id, payload, created_at)
         SELECT $1, k, $2, p::jsonb, clock_timestamp() FROM unnest($3::TEXT[], $4::TEXT[]) AS e(k, p)
         RETURNING id, payload->>$5",
    )
    .bind(E::STREAM.as_str())
    .bind(live_id.get())
    .bind(&kinds)
    .bind(&payloads)
    .bind(tag)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// An outbox row as the relay and the publisher read it.
#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub stream: String,
    pub event_type: String,
    #[sqlx(try_from = "i64")]
    pub live_id: LiveId,
    pub payload: serde_json::Value,
}

impl Row {
    /// The stream it goes to; a name outside the closed list is an error, not a guess.
    pub fn stream(&self) -> Result<Stream> {
        Stream::parse(&self.stream)
            .ok_or_else(|| anyhow::anyhow!("outbox row {} names an unknown stream {:?}", self.id, self.stream).into())
    }

    pub fn entry(&self) -> Entry {
        Entry {
            event_id: self.id,
            kind: self.event_type.clone(),
            live_id: self.live_id,
            payload: self.payload.to_string(),
        }
    }
}
