//! Viewer-side JSON for live rooms: the goods list.

use std::collections::HashMap;

use app::{ids::LiveId, model::GoodsList};
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    Json,
};

use crate::{
    http::error::{ApiError, ErrorBody},
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
) -> Result<Json<GoodsList>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::bad_request("malformed query string"))?;
    let live_id: LiveId = query
        .get("live_id")
        .ok_or_else(|| ApiError::bad_request("live_id is required"))?
        .parse()
        .map_err(|e: app::ids::InvalidId| ApiError::bad_request(e.to_string()))?;
    let room = crate::http::cached_room(&state, live_id).await?;
    Ok(Json(GoodsList { live_id, goods: room.goods }))
}
