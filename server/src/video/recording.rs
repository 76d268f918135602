//! The recording: the HLS segments nginx writes are kept (`hls_cleanup off`)
//! and listed here as they appear in its live playlist, read on nginx's
//! periodic `on_update` call and at the end of each publish. The live
//! playlist holds a minute, the calls come every few seconds, so no segment
//! is missed; recording a segment twice changes nothing, so any number of
//! processes may do it at once.

use app::{ids::LiveId, model::ReplaySegment};
use sqlx::PgPool;

use super::{
    playlist::{MediaPlaylist, Segment},
    urls::VideoUrls,
};
use crate::error::Result;

/// Reads the room's live playlist from the HLS origin and records its
/// segments. Returns how many were new.
pub async fn record_segments(db: &PgPool, http: &reqwest::Client, urls: &VideoUrls, live_id: LiveId) -> Result<u64> {
    let response = http
        .get(urls.origin_playlist(live_id))
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
        .map_err(anyhow::Error::from)?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(0);
    }
    let text = response.error_for_status().map_err(anyhow::Error::from)?.text().await.map_err(anyhow::Error::from)?;
    let playlist = MediaPlaylist::parse(&text);
    if playlist.segments.is_empty() {
        return Ok(0);
    }
    let (names, starts, durations, breaks) = columns(&playlist.segments);
    let inserted = sqlx::query(
        "INSERT INTO live_segments (live_id, name, start_ms, duration_ms, discontinuity)
         SELECT $1, s.name, s.started - (EXTRACT(EPOCH FROM r.stream_epoch) * 1000)::BIGINT, s.duration, s.brk
           FROM unnest($2::TEXT[], $3::BIGINT[], $4::INT[], $5::BOOL[]) AS s (name, started, duration, brk)
           JOIN live_rooms r ON r.id = $1 AND r.stream_epoch IS NOT NULL
         ON CONFLICT (live_id, name) DO NOTHING",
    )
    .bind(live_id.get())
    .bind(names)
    .bind(starts)
    .bind(durations)
    .bind(breaks)
    .execute(db)
    .await?
    .rows_affected();
    Ok(inserted)
}

fn columns(segments: &[Segment]) -> (Vec<String>, Vec<i64>, Vec<i32>, Vec<bool>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in segments {
        let Some(started) = s.started_ms() else { continue };
        out.0.push(s.name.clone());
        out.1.push(started);
        out.2.push(s.duration_ms);
        out.3.push(s.discontinuity);
    }
    out
}

/// One recorded segment as kept.
#[derive(sqlx::FromRow)]
struct Recorded {
    name: String,
    start_ms: i64,
    duration_ms: i32,
    discontinuity: bool,
}

/// The room's recorded segments in playlist order.
async fn recorded(db: &PgPool, live_id: LiveId) -> Result<Vec<Recorded>> {
    Ok(sqlx::query_as(
        "SELECT name, start_ms, duration_ms, discontinuity FROM live_segments WHERE live_id = $1 ORDER BY start_ms, name",
    )
    .bind(live_id.get())
    .fetch_all(db)
    .await?)
}

/// The recorded segments in playlist order, on the stream clock.
pub async fn recorded_segments(db: &PgPool, live_id: LiveId) -> Result<Vec<ReplaySegment>> {
    Ok(recorded(db, live_id)
        .await?
        .into_iter()
        .map(|r| ReplaySegment { start_ms: r.start_ms, duration_ms: i64::from(r.duration_ms) })
        .collect())
}

/// The room's recording as a VOD playlist (`None`: nothing recorded).
/// A break in the stream clock between two segments is a discontinuity,
/// whatever the live playlist said, so players reset their timestamps there.
pub async fn replay_playlist(db: &PgPool, urls: &VideoUrls, live_id: LiveId) -> Result<Option<String>> {
    let rows = recorded(db, live_id).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut segments = Vec::with_capacity(rows.len());
    let mut expected: Option<i64> = None;
    for r in rows {
        let gap = expected.is_some_and(|e| (r.start_ms - e).abs() > 1_500);
        expected = Some(r.start_ms + i64::from(r.duration_ms));
        segments.push(Segment { name: r.name, duration_ms: r.duration_ms, discontinuity: r.discontinuity || gap });
    }
    Ok(Some(MediaPlaylist { segments }.render_vod(|name| urls.segment(live_id, name))))
}
