//! The click → view → order funnel: one row per tracked event, keyed by the
//! binding's tracking code and the trace id minted per tap.

use app::{
    deep_link::valid_token,
    error::{AppError, Reason},
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

/// The tracking code and trace id a tap carried, checked.
pub struct Trace<'a> {
    pub tracking_code: Option<&'a str>,
    pub trace_id: Option<&'a str>,
}

impl<'a> Trace<'a> {
    /// Both fields, if present, must be safe tokens (422 otherwise).
    pub fn parse(tracking_code: Option<&'a str>, trace_id: Option<&'a str>) -> Result<Self, AppError> {
        if [tracking_code, trace_id].into_iter().flatten().any(|v| !valid_token(v)) {
            return Err(AppError::Invalid(Reason::TraceCodes));
        }
        Ok(Self { tracking_code, trace_id })
    }
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
        "INSERT INTO funnel_events (event, live_id, spu_id, tracking_code, trace_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.as_str())
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(trace.tracking_code)
    .bind(trace.trace_id)
    .execute(conn)
    .await
    .on_constraint("funnel_events_live_id_fkey", missing)
    .on_constraint("funnel_events_spu_id_fkey", missing)?;
    Ok(())
}
