//! `POST /api/track`: click and view beacons; no sign-in needed.

use app::ids::{LiveId, SpuId};
use axum::{body::Bytes, extract::State, http::StatusCode};
use serde::Deserialize;

use super::error::{ApiError, ErrorBody};
use crate::{
    links::{record_funnel, Beacon, Trace},
    startup::state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TrackBody {
    pub event: Beacon,
    pub live_id: LiveId,
    pub spu_id: SpuId,
    #[serde(default)]
    pub tracking_code: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
}

#[utoipa::path(post, path = "/track", tag = "viewer", request_body = TrackBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn track(State(state): State<AppState>, raw: Bytes) -> Result<StatusCode, ApiError> {
    // Beacons send text/plain; the body is JSON whatever its content type.
    let body: TrackBody = serde_json::from_slice(&raw).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::bad_request("the body is not valid JSON")
        } else {
            ApiError::validation(e.to_string())
        }
    })?;
    let trace = Trace::parse(body.tracking_code.as_deref(), body.trace_id.as_deref())?;
    let mut conn = state.db.acquire().await.map_err(crate::error::Error::from)?;
    record_funnel(&mut conn, body.event.into(), body.live_id, body.spu_id, &trace).await?;
    Ok(StatusCode::NO_CONTENT)
}
