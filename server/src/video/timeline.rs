//! The product timeline: each "now explaining" change with the stream time
//! it was pressed at, so viewers see the mark when their player reaches that
//! moment, and a replay shows the cards as they were and can jump to where
//! each product was explained.

use app::{
    ids::{LiveId, SpuId},
    model::{BoundEntry, Timeline, TimelineEntry},
};
use sqlx::{PgConnection, PgPool};

use crate::error::Result;

/// The stream clock now, in the caller's transaction (`None`: the room is
/// not streaming, so there is no video to wait for).
pub async fn stream_time_ms(conn: &mut PgConnection, live_id: LiveId) -> Result<Option<i64>> {
    let ms: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT CASE WHEN stream_status IN ('live', 'reconnecting') AND stream_epoch IS NOT NULL
                     THEN (EXTRACT(EPOCH FROM clock_timestamp() - stream_epoch) * 1000)::BIGINT END
           FROM live_rooms WHERE id = $1",
    )
    .bind(live_id.get())
    .fetch_optional(conn)
    .await?;
    Ok(ms.flatten())
}

/// Records an explaining change with its stream time, in the change's transaction.
pub async fn log_explaining(
    conn: &mut PgConnection,
    live_id: LiveId,
    spu_id: Option<SpuId>,
    stream_time_ms: Option<i64>,
) -> Result<()> {
    sqlx::query("INSERT INTO live_explaining_log (live_id, spu_id, stream_time_ms) VALUES ($1, $2, $3)")
        .bind(live_id.get())
        .bind(spu_id.map(SpuId::get))
        .bind(stream_time_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every explaining change made while the room streamed, in stream order,
/// and the goods bound while it streamed (`None`: no such room).
pub async fn explaining_timeline(db: &PgPool, live_id: LiveId) -> Result<Option<Timeline>> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM live_rooms WHERE id = $1)")
        .bind(live_id.get())
        .fetch_one(db)
        .await?;
    if !exists {
        return Ok(None);
    }
    let rows: Vec<(Option<i64>, i64)> = sqlx::query_as(
        "SELECT spu_id, stream_time_ms FROM live_explaining_log
          WHERE live_id = $1 AND stream_time_ms IS NOT NULL ORDER BY stream_time_ms, id",
    )
    .bind(live_id.get())
    .fetch_all(db)
    .await?;
    let entries = rows
        .into_iter()
        .map(|(spu, stream_time_ms)| TimelineEntry { spu_id: spu.and_then(|id| SpuId::new(id).ok()), stream_time_ms })
        .collect();
    let bound: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT g.spu_id, (EXTRACT(EPOCH FROM g.bound_at - r.stream_epoch) * 1000)::BIGINT
           FROM live_room_goods g JOIN live_rooms r ON r.id = g.live_id
          WHERE g.live_id = $1 AND g.bound_at > r.stream_epoch ORDER BY g.bound_at",
    )
    .bind(live_id.get())
    .fetch_all(db)
    .await?;
    let bound = bound
        .into_iter()
        .filter_map(|(spu, stream_time_ms)| Some(BoundEntry { spu_id: SpuId::new(spu).ok()?, stream_time_ms }))
        .collect();
    Ok(Some(Timeline { live_id, entries, bound }))
}
