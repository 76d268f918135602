//! Entries a consumer could not read: a kind this build does not know (a newer
//! process wrote it during a rolling deploy) or a payload off its kind's shape.
//! They are neither dropped nor guessed at: each is logged and kept in
//! `parked_events` with its raw fields, for a replay once every process knows
//! the kind.

use redis::streams::StreamId;
use sqlx::PgPool;

use super::stream::Entry;
use crate::error::Result;

/// Why an entry was parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParkReason {
    UnknownKind,
    MalformedPayload,
    MalformedEntry,
}

impl ParkReason {
    fn as_str(self) -> &'static str {
        match self {
            ParkReason::UnknownKind => "unknown_kind",
            ParkReason::MalformedPayload => "malformed_payload",
            ParkReason::MalformedEntry => "malformed_entry",
        }
    }
}

/// Keeps the entry (once per group and entry id, however often it is redelivered).
pub async fn park(
    db: &PgPool,
    group: &str,
    stream_key: &str,
    raw: &StreamId,
    entry: Option<&Entry>,
    reason: ParkReason,
    detail: &str,
) -> Result<()> {
    tracing::warn!(group, entry = %raw.id, reason = reason.as_str(), detail, "stream entry parked for replay");
    let fields: serde_json::Map<String, serde_json::Value> = raw
        .map
        .iter()
        .map(|(k, v)| {
            let text = redis::from_redis_value_ref::<String>(v).unwrap_or_default();
            (k.clone(), serde_json::Value::String(text))
        })
        .collect();
    sqlx::query(
        "INSERT INTO parked_events (group_name, stream_key, entry_id, event_id, event_type, live_id, fields, reason, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (group_name, entry_id) DO NOTHING",
    )
    .bind(group)
    .bind(stream_key)
    .bind(&raw.id)
    .bind(entry.map(|e| e.event_id))
    .bind(entry.map(|e| e.kind.as_str()))
    .bind(entry.map(|e| e.live_id.get()))
    .bind(serde_json::Value::Object(fields))
    .bind(reason.as_str())
    .bind(detail.chars().take(500).collect::<String>())
    .execute(db)
    .await?;
    Ok(())
}
