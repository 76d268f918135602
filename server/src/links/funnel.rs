//! The click → view → order funnel: one row per tracked event, keyed by the
//! binding's tracking code and the trace id minted per tap.

use app::{
    deep_link::SourceType,
    error::AppError,
    ids::{LiveId, SpuId},
};
use sqlx::PgConnection;

use crate::error::{OnConstraint, Result};

/// What a beacon reports: a tap on a card, or the goods page seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Beacon {
    Click,
    View,
}

/// A step of the funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunnelEvent {
    Click,
    View,
    /// Written by the order transaction, never by a beacon.
    Order,
}

impl From<Beacon> for FunnelEvent {
    fn from(beacon: Beacon) -> Self {
        match beacon {
            Beacon::Click => FunnelEvent::Click,
            Beacon::View => FunnelEvent::View,
        }
    }
}

impl FunnelEvent {
    fn as_str(self) -> &'static str {
        match self {
            FunnelEvent::Click => "click",
            FunnelEvent::View => "view",
            FunnelEvent::Order => "order",
        }
    }
}

/// The tracking code and trace id recorded with a funnel event, each already
/// checked (`AnalyticsField::check`): malformed ones never reach a row; and
/// whether the tap was on the live stream or its replay.
pub struct Trace<'a> {
    pub tracking_code: Option<&'a str>,
    pub trace_id: Option<&'a str>,
    pub source: SourceType,
}

/// The tracking code of the binding of `spu_id` in `live_id`; `None` when the
/// goods are not bound there (or either does not exist).
pub async fn binding_tracking_code(conn: &mut PgConnection, live_id: LiveId, spu_id: SpuId) -> Result<Option<String>> {
    let code = sqlx::query_scalar("SELECT tracking_code FROM live_room_goods WHERE live_id = $1 AND spu_id = $2")
        .bind(live_id.get())
        .bind(spu_id.get())
        .fetch_optional(conn)
        .await?;
    Ok(code)
}

/// Records one funnel event (in the caller's transaction, for orders); 404
/// when the room or the goods do not exist.
pub async fn record(
    conn: &mut PgConnection,
    event: FunnelEvent,
    live_id: LiveId,
    spu_id: SpuId,
    trace: &Trace<'_>,
) -> Result<()> {
    let missing = || AppError::not_found("live room or goods");
    sqlx::query(
        "INSERT INTO funnel_events (event, live_id, spu_id, tracking_code, trace_id, source_type)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.as_str())
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(trace.tracking_code)
    .bind(trace.trace_id)
    .bind(trace.source.as_str())
    .execute(conn)
    .await
    .on_constraint("funnel_events_live_id_fkey", missing)
    .on_constraint("funnel_events_spu_id_fkey", missing)?;
    Ok(())
}

/// Records one order step per trace of a coalesced group, in one statement
/// (in the group's transaction); traces with neither field are skipped.
pub async fn record_orders(
    conn: &mut PgConnection,
    live_id: LiveId,
    spu_id: SpuId,
    traces: &[Trace<'_>],
) -> Result<()> {
    let traces: Vec<&Trace<'_>> = traces.iter().filter(|t| t.tracking_code.is_some() || t.trace_id.is_some()).collect();
    if traces.is_empty() {
        return Ok(());
    }
    let codes: Vec<Option<&str>> = traces.iter().map(|t| t.tracking_code).collect();
    let ids: Vec<Option<&str>> = traces.iter().map(|t| t.trace_id).collect();
    let sources: Vec<&str> = traces.iter().map(|t| t.source.as_str()).collect();
    let missing = || AppError::not_found("live room or goods");
    sqlx::query(
        "INSERT INTO funnel_events (event, live_id, spu_id, tracking_code, trace_id, source_type)
         SELECT $1, $2, $3, c, t, s FROM unnest($4::TEXT[], $5::TEXT[], $6::TEXT[]) AS g(c, t, s)",
    )
    .bind(FunnelEvent::Order.as_str())
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(&codes)
    .bind(&ids)
    .bind(&sources)
    .execute(conn)
    .await
    .on_constraint("funnel_events_live_id_fkey", missing)
    .on_constraint("funnel_events_spu_id_fkey", missing)?;
    Ok(())
}
