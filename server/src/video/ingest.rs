//! nginx's calls about a stream: a publish is accepted only with the room's
//! current key while the room has not ended, and turns the room live; the
//! end of a publish turns it "reconnecting" until the streamer pushes again
//! or ends the room. Each change is one transaction with its `room_status`
//! event, so viewers hear of exactly the changes that were committed.

use app::{
    events::{RoomEvent, RoomStatusChanged},
    ids::LiveId,
    model::StreamStatus,
};
use sqlx::{PgConnection, PgPool};

use super::{
    key::{digest, well_formed, StreamKeyName},
    urls::VideoUrls,
};
use crate::{error::Result, events::enqueue};

/// nginx's answer to a publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    Accepted,
    /// A wrong, rotated or missing key, an unknown room or an ended one.
    Refused,
}

/// A publish of stream `name` with `secret` (the `key` argument).
pub async fn publish(db: &PgPool, urls: &VideoUrls, name: StreamKeyName, secret: &str) -> Result<Publish> {
    if !well_formed(secret) {
        return Ok(Publish::Refused);
    }
    let StreamKeyName(live_id) = name;
    let mut tx = db.begin().await?;
    let before: Option<String> = sqlx::query_scalar(
        "SELECT stream_status FROM live_rooms WHERE id = $1 AND stream_key_digest = $2 AND status = 'live' FOR UPDATE",
    )
    .bind(live_id.get())
    .bind(digest(secret))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else { return Ok(Publish::Refused) };
    sqlx::query(
        "UPDATE live_rooms SET stream_status = 'live', stream_epoch = COALESCE(stream_epoch, clock_timestamp()),
                goods_version = goods_version + 1
          WHERE id = $1",
    )
    .bind(live_id.get())
    .execute(&mut *tx)
    .await?;
    if before != StreamStatus::Live.as_str() {
        announce(&mut tx, urls, live_id, StreamStatus::Live).await?;
    }
    tx.commit().await?;
    Ok(Publish::Accepted)
}

/// The publish of stream `name` ended: a live room is "reconnecting" now.
/// Returns whether anything changed.
pub async fn publish_done(db: &PgPool, urls: &VideoUrls, name: StreamKeyName) -> Result<bool> {
    let StreamKeyName(live_id) = name;
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE live_rooms SET stream_status = 'reconnecting', goods_version = goods_version + 1
          WHERE id = $1 AND stream_status = 'live'",
    )
    .bind(live_id.get())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if changed {
        announce(&mut tx, urls, live_id, StreamStatus::Reconnecting).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Enqueues the `room_status` event for a change made in `conn`'s
/// transaction, with where viewers play the room from now.
pub(crate) async fn announce(
    conn: &mut PgConnection,
    urls: &VideoUrls,
    live_id: LiveId,
    stream_status: StreamStatus,
) -> Result<()> {
    let (recorded, stream_epoch_ms): (bool, Option<i64>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM live_segments WHERE live_id = $1),
                (SELECT (EXTRACT(EPOCH FROM stream_epoch) * 1000)::BIGINT FROM live_rooms WHERE id = $1)",
    )
    .bind(live_id.get())
    .fetch_one(&mut *conn)
    .await?;
    let streaming = matches!(stream_status, StreamStatus::Live | StreamStatus::Reconnecting);
    let event = RoomStatusChanged {
        live_id,
        stream_status,
        playback_url: streaming.then(|| urls.playback(live_id)),
        replay_url: (recorded && stream_status == StreamStatus::Ended).then(|| VideoUrls::replay(live_id)),
        stream_epoch_ms,
    };
    enqueue(conn, live_id, &RoomEvent::RoomStatus(event)).await?;
    Ok(())
}
