//! The transactional outbox: an event is a row written in the same Postgres
//! transaction as the change it describes, so a crash between the commit and
//! the publish loses nothing: the relay publishes it later.

use app::ids::LiveId;
use serde_json::Value;
use sqlx::PgConnection;

/// Which Redis Stream an event goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Goods bound, unbound, reordered, explained, stock changed.
    Room,
    /// Orders created.
    Orders,
}

impl Stream {
    pub const ALL: [Stream; 2] = [Stream::Room, Stream::Orders];

    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Room => "room",
            Stream::Orders => "orders",
        }
    }
}

/// Writes one event in the caller's transaction; returns its id, which every
/// consumer uses to deduplicate. Its time is when it was written, not when its
/// transaction began, so the relay's grace period starts near the commit.
pub async fn enqueue(
    conn: &mut PgConnection,
    stream: Stream,
    event_type: &str,
    live_id: LiveId,
    payload: &Value,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO outbox (stream, event_type, live_id, payload, created_at)
         VALUES ($1, $2, $3, $4, clock_timestamp()) RETURNING id",
    )
    .bind(stream.as_str())
    .bind(event_type)
    .bind(live_id.get())
    .bind(payload)
    .fetch_one(conn)
    .await
}
