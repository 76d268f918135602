//! Dead letters: entries a consumer could not handle, kept in Postgres
//! (`parked_events`) with their raw fields. A kind this build does not know (a
//! newer process wrote it during a rolling deploy), a payload off its kind's
//! shape, or a handler that kept failing on a reachable store: none is dropped
//! or guessed at. The console lists a streamer's and replays them all onto
//! their stream, once every process knows the kind or the cause is fixed.

use app::{
    ids::{LiveId, UserId},
    model::DeadLetter,
};
use chrono::{DateTime, SecondsFormat, Utc};
use redis::streams::StreamId;
use sqlx::PgPool;

use super::stream::Entry;
use crate::{error::Result, startup::redis::Redis};

/// Why an entry was parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParkReason {
    UnknownKind,
    MalformedPayload,
    MalformedEntry,
    /// The handler failed on every delivery although the stores answered.
    HandlerFailed,
}

impl ParkReason {
    fn as_str(self) -> &'static str {
        match self {
            ParkReason::UnknownKind => "unknown_kind",
            ParkReason::MalformedPayload => "malformed_payload",
            ParkReason::MalformedEntry => "malformed_entry",
            ParkReason::HandlerFailed => "handler_failed",
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

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    live_id: Option<i64>,
    event_type: Option<String>,
    reason: String,
    detail: String,
    parked_at: DateTime<Utc>,
    replayed_at: Option<DateTime<Utc>>,
}

/// The dead letters of `owner`'s rooms (one room, or all), newest first.
pub async fn list(db: &PgPool, owner: UserId, live_id: Option<LiveId>) -> Result<Vec<DeadLetter>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.live_id, p.event_type, p.reason, p.detail, p.parked_at, p.replayed_at
           FROM parked_events p JOIN live_rooms r ON r.id = p.live_id
          WHERE r.owner_id = $1 AND ($2::BIGINT IS NULL OR p.live_id = $2)
          ORDER BY p.parked_at DESC, p.id DESC LIMIT 500",
    )
    .bind(owner.get())
    .bind(live_id.map(LiveId::get))
    .fetch_all(db)
    .await?;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    rows.into_iter()
        .map(|r| {
            Ok(DeadLetter {
                id: r.id,
                live_id: r.live_id.map(LiveId::new).transpose().map_err(anyhow::Error::from)?,
                event_type: r.event_type,
                reason: r.reason,
                detail: r.detail,
                parked_at: time(r.parked_at),
                replayed_at: r.replayed_at.map(time),
            })
        })
        .collect()
}

/// Puts the waiting dead letters of `owner`'s rooms (one room, or all) back on
/// their streams with their original fields, in the order they were parked;
/// returns how many. Each is marked replayed in the same transaction that
/// claimed it, after its `XADD`: a crash in between replays it again, which the
/// consumers' deduplication by event id absorbs.
pub async fn replay(db: &PgPool, redis: &Redis, owner: UserId, live_id: Option<LiveId>) -> Result<u64> {
    let mut tx = db.begin().await?;
    let rows: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(
        "SELECT p.id, p.stream_key, p.fields FROM parked_events p JOIN live_rooms r ON r.id = p.live_id
          WHERE r.owner_id = $1 AND ($2::BIGINT IS NULL OR p.live_id = $2) AND p.replayed_at IS NULL
          ORDER BY p.id LIMIT 1000 FOR UPDATE OF p SKIP LOCKED",
    )
    .bind(owner.get())
    .bind(live_id.map(LiveId::get))
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut pipe = redis::pipe();
    for (_, stream_key, fields) in &rows {
        let fields: Vec<(String, String)> = fields
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        pipe.xadd(stream_key, "*", &fields).ignore();
    }
    let mut conn = redis.conn.clone();
    pipe.query_async::<()>(&mut conn).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _, _)| *id).collect();
    sqlx::query("UPDATE parked_events SET replayed_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}
