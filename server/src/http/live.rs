//! JSON for live rooms: the viewers' goods list and the owner's dashboard.

use std::collections::HashMap;

use app::{ids::LiveId, live_center::Dashboard, model::GoodsList, ports::Console as _};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};

use crate::{
    http::{
        error::{ApiError, ErrorBody},
        extract::{path_id, Caller},
    },
    startup::state::AppState,
};

/// The goods bound to a room, in display order.
#[utoipa::path(
    get,
    path = "/live/goods-list",
    tag = "viewer",
    params(("live_id" = i64, Query, description = "The live room", minimum = 1)),
    responses(
        (status = 200, description = "Bound goods in display order", body = GoodsList),
        (status = 400, description = "Missing or malformed live_id", body = ErrorBody),
        (status = 404, description = "Unknown room", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn goods_list(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::bad_request("malformed query string"))?;
    let live_id: LiveId = query
        .get("live_id")
        .ok_or_else(|| ApiError::bad_request("live_id is required"))?
        .parse()
        .map_err(|e: app::ids::InvalidId| ApiError::bad_request(e.to_string()))?;
    let json = state.catalog.goods_list_json(live_id).await?.ok_or_else(|| ApiError::not_found("no such live room"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The live center of one of the caller's rooms.
#[utoipa::path(get, path = "/live/{live_id}/dashboard", tag = "streamer",
    params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn dashboard(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
) -> Result<Json<Dashboard>, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    Ok(Json(state.console.dashboard(&user, live_id).await?))
}
