//! `POST /api/track`: click and view beacons; no sign-in needed.

use axum::{body::Bytes, extract::State, http::StatusCode};

use super::{
    error::{ApiError, ErrorBody},
    extract::ClientAddress,
};
use tracing::Instrument;

use crate::{
    links::{chain_span, BeaconReport},
    startup::state::AppState,
};

#[utoipa::path(post, path = "/track", tag = "viewer", request_body = BeaconReport,
    responses((status = 204, description = "recorded, or answered without being counted"),
        (status = 404, body = ErrorBody, description = "the goods are not bound to the room"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn track(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    raw: Bytes,
) -> Result<StatusCode, ApiError> {
    // Beacons send text/plain; the body is JSON whatever its content type.
    let report: BeaconReport = serde_json::from_slice(&raw).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::bad_request("the body is not valid JSON")
        } else {
            ApiError::validation(e.to_string())
        }
    })?;
    let step = match report.event {
        crate::links::Beacon::Click => "live.click",
        crate::links::Beacon::View => "live.view",
    };
    let span = chain_span(step, report.trace_id.as_deref().filter(|t| app::deep_link::valid_trace_id(t)));
    state.beacons.record(client, report).instrument(span).await?;
    Ok(StatusCode::NO_CONTENT)
}
