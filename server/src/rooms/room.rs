//! Live rooms as the record holds them: the list of live rooms, a streamer's
//! rooms, one room with its goods version, and creating a room.

use app::{
    deep_link::SourceType,
    error::{AppError, Field, Reason},
    ids::{LiveId, UserId},
    model::{NewRoom, Room, RoomStatus, RoomSummary, StreamStatus},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{PgConnection, PgPool};

use super::ownership::lock_owned_room;
use crate::{error::Result, goods::text, video::VideoUrls};

#[derive(sqlx::FromRow)]
struct RoomRow {
    #[sqlx(try_from = "i64")]
    id: LiveId,
    owner_id: i64,
    title: String,
    streamer: String,
    stream_url: Option<String>,
    #[sqlx(try_from = "String")]
    status: RoomStatus,
    created_at: DateTime<Utc>,
    goods_version: i64,
    #[sqlx(try_from = "String")]
    stream_status: StreamStatus,
    scheduled_at: Option<DateTime<Utc>>,
    stream_epoch: Option<DateTime<Utc>>,
    recorded: bool,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(try_from = "i64")]
    id: LiveId,
    title: String,
    streamer: String,
    cover_url: Option<String>,
    goods_count: i64,
    #[sqlx(try_from = "String")]
    stream_status: StreamStatus,
    scheduled_at: Option<DateTime<Utc>>,
}

/// Rooms that are live, newest first, each with the cover of its first
/// product; a scheduled room is among them once its stream starts or its
/// time comes.
pub async fn live_rooms(conn: &mut PgConnection, limit: i64) -> Result<Vec<RoomSummary>> {
    summaries(conn, None, limit).await
}

/// Rooms scheduled to go live that have not started streaming, soonest first.
pub async fn upcoming_rooms(conn: &mut PgConnection, limit: i64) -> Result<Vec<RoomSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE r.status = 'live' AND r.stream_status = 'offline' AND r.scheduled_at > now()
          ORDER BY r.scheduled_at, r.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(summary).collect())
}

const SUMMARY_SELECT: &str = r#"
        SELECT r.id, r.title, u.username AS streamer, r.stream_status, r.scheduled_at,
               (SELECT s.cover_url FROM live_room_goods g JOIN spus s ON s.id = g.spu_id
                 WHERE g.live_id = r.id ORDER BY g.position LIMIT 1) AS cover_url,
               (SELECT count(*) FROM live_room_goods g WHERE g.live_id = r.id) AS goods_count
          FROM live_rooms r JOIN users u ON u.id = r.owner_id"#;

fn summary(r: SummaryRow) -> RoomSummary {
    RoomSummary {
        live_id: r.id,
        title: r.title,
        streamer: r.streamer,
        cover_url: r.cover_url,
        goods_count: r.goods_count,
        stream_status: r.stream_status,
        scheduled_at: r.scheduled_at.map(rfc3339),
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The rooms of one streamer, newest first, live or ended.
pub async fn owned_by(conn: &mut PgConnection, owner: UserId) -> Result<Vec<RoomSummary>> {
    summaries(conn, Some(owner), 500).await
}

/// Live rooms (`owner` none) or all rooms of `owner`, newest first.
async fn summaries(conn: &mut PgConnection, owner: Option<UserId>, limit: i64) -> Result<Vec<RoomSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT}
         WHERE CASE WHEN $1::BIGINT IS NULL
                    THEN r.status = 'live' AND (r.scheduled_at IS NULL OR r.scheduled_at <= now()
                                                OR r.stream_status IN ('live', 'reconnecting'))
                    ELSE r.owner_id = $1 END
         ORDER BY r.created_at DESC, r.id DESC
         LIMIT $2"
    ))
    .bind(owner.map(UserId::get))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(summary).collect())
}

/// One room and its goods version, or `None` when it does not exist.
pub async fn find_with_version(
    conn: &mut PgConnection,
    urls: &VideoUrls,
    live_id: LiveId,
) -> Result<Option<(Room, i64)>> {
    let row: Option<RoomRow> = sqlx::query_as(
        r#"
        SELECT r.id, r.owner_id, r.title, u.username AS streamer, r.stream_url, r.status, r.created_at, r.goods_version,
               r.stream_status, r.scheduled_at, r.stream_epoch,
               EXISTS (SELECT 1 FROM live_segments s WHERE s.live_id = r.id) AS recorded
          FROM live_rooms r JOIN users u ON u.id = r.owner_id
         WHERE r.id = $1
        "#,
    )
    .bind(live_id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let streaming = matches!(r.stream_status, StreamStatus::Live | StreamStatus::Reconnecting);
        let room = Room {
            live_id: r.id,
            owner_id: r.owner_id,
            title: r.title,
            streamer: r.streamer,
            stream_url: r.stream_url,
            status: r.status,
            created_at: rfc3339(r.created_at),
            stream_status: r.stream_status,
            scheduled_at: r.scheduled_at.map(rfc3339),
            playback_url: streaming.then(|| urls.playback(r.id)),
            replay_url: (r.recorded && r.stream_status == StreamStatus::Ended).then(|| VideoUrls::replay(r.id)),
            stream_epoch_ms: r.stream_epoch.map(|t| t.timestamp_millis()),
        };
        (room, r.goods_version)
    }))
}

/// Ends the room (its owner only); ending an ended room changes nothing.
/// Viewers are told with a `room_status` event, which also rebuilds the cache.
pub async fn end(db: &PgPool, urls: &VideoUrls, owner: UserId, live_id: LiveId) -> Result<Room> {
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, owner).await?;
    let ended = sqlx::query(
        "UPDATE live_rooms SET status = 'ended', ended_at = now(), stream_status = 'ended'
          WHERE id = $1 AND status = 'live'",
    )
    .bind(live_id.get())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if ended > 0 {
        crate::video::announce(&mut tx, urls, live_id, StreamStatus::Ended).await?;
    }
    let (room, _) = find_with_version(&mut tx, urls, live_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("room {live_id} vanished inside its own transaction"))?;
    tx.commit().await?;
    Ok(room)
}

/// Rooms the background sweeps still have work in: live, ended within the
/// last hour (attempts in flight when it ended), or holding pending fail-log
/// rows or unpaid orders.
pub async fn active_ids(db: &PgPool) -> Result<Vec<LiveId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT r.id FROM live_rooms r
          WHERE r.status = 'live'
             OR r.ended_at > now() - interval '1 hour'
             OR EXISTS (SELECT 1 FROM live_order_sync_fail_log f WHERE f.live_id = r.id AND f.state = 'pending')
             OR EXISTS (SELECT 1 FROM orders o WHERE o.live_id = r.id AND o.status = 'created'
                          AND o.created_at > now() - interval '1 day')
          ORDER BY r.id",
    )
    .fetch_all(db)
    .await?;
    ids.into_iter().map(|id| LiveId::new(id).map_err(|e| anyhow::Error::from(e).into())).collect()
}

/// Whom a room sells to, as the caller's connection or transaction sees it
/// (`None`: no such room).
pub async fn sales(conn: &mut PgConnection, live_id: LiveId) -> Result<Option<Sales>> {
    let row: Option<(String, bool)> = sqlx::query_as(
        "SELECT status, CASE WHEN status = 'ended'
                             THEN EXISTS (SELECT 1 FROM live_segments s WHERE s.live_id = r.id) ELSE false END
           FROM live_rooms r WHERE id = $1",
    )
    .bind(live_id.get())
    .fetch_optional(conn)
    .await?;
    let Some((status, recorded)) = row else { return Ok(None) };
    let status = RoomStatus::try_from(status).map_err(anyhow::Error::from)?;
    Ok(Some(match status {
        RoomStatus::Live => Sales::Live,
        RoomStatus::Ended if recorded => Sales::Replay,
        RoomStatus::Ended => Sales::Closed,
    }))
}

/// Whom a room sells to: everyone while it is live; once ended, only taps on
/// its replay (`source_type=replay`), and only while there is a recording to
/// replay; nobody when it ended unrecorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sales {
    Live,
    Replay,
    Closed,
}

impl Sales {
    /// Ok when an order from `source` may be placed: 409 `conflict` (the room
    /// ended) otherwise, as the contract answers orders for an ended room.
    pub fn admit(self, source: SourceType) -> std::result::Result<(), AppError> {
        match (self, source) {
            (Sales::Live, _) | (Sales::Replay, SourceType::Replay) => Ok(()),
            _ => Err(AppError::Conflict(Reason::RoomEnded)),
        }
    }
}

/// Every room's id (rebuilding every cache).
pub async fn all_ids(db: &PgPool) -> Result<Vec<LiveId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM live_rooms ORDER BY id").fetch_all(db).await?;
    ids.into_iter().map(|id| LiveId::new(id).map_err(|e| anyhow::Error::from(e).into())).collect()
}

/// Creates a live room owned by `owner`; it is live from now until ended,
/// and listed as upcoming while it is scheduled and not streaming.
pub async fn create(db: &PgPool, urls: &VideoUrls, owner: UserId, new: &NewRoom) -> Result<Room> {
    let title = text::required(Field::Title, &new.title, 100)?;
    let stream_url = text::url(Field::StreamUrl, new.stream_url.as_deref())?;
    if stream_url.as_deref().is_some_and(|u| u.starts_with('/')) {
        return Err(AppError::Invalid(Reason::NotAUrl { field: Field::StreamUrl }).into());
    }
    let scheduled_at = new.scheduled_at.as_deref().map(schedule).transpose()?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO live_rooms (owner_id, title, stream_url, scheduled_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(owner.get())
    .bind(&title)
    .bind(&stream_url)
    .bind(scheduled_at)
    .fetch_one(&mut *tx)
    .await?;
    let live_id = LiveId::new(id).map_err(anyhow::Error::from)?;
    let (room, _) = find_with_version(&mut tx, urls, live_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("room {live_id} vanished inside its own transaction"))?;
    tx.commit().await?;
    Ok(room)
}

/// A room's scheduled start: RFC 3339, no more than a year ahead (a time
/// already past is allowed: the room is simply live).
fn schedule(raw: &str) -> Result<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| AppError::Invalid(Reason::ScheduleRange))?
        .with_timezone(&Utc);
    if at > Utc::now() + chrono::Duration::days(366) {
        return Err(AppError::Invalid(Reason::ScheduleRange).into());
    }
    Ok(at)
}
