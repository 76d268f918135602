//! Live rooms and their goods, streamer side: create a room, bind, unbind,
//! reorder, explain. Only the owner may change a room (403 otherwise, 401
//! without a user, checked before the body).

use app::ports::Console as _;
use app::{
    ids::{LiveId, SpuId},
    model::{Binding, NewRoom, Room},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};

use super::{
    error::{ApiError, ErrorBody},
    extract::{path_id, ApiJson, Caller},
};
use crate::startup::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BindBody {
    pub spu_id: SpuId,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct PositionsBody {
    pub spu_ids: Vec<SpuId>,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct ExplainingBody {
    /// The product being explained, or `null` for none.
    #[serde(default)]
    pub spu_id: Option<SpuId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Positions {
    pub live_id: LiveId,
    pub spu_ids: Vec<SpuId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Explaining {
    pub live_id: LiveId,
    pub spu_id: Option<SpuId>,
}

#[utoipa::path(post, path = "/live", tag = "streamer", request_body = NewRoom,
    responses((status = 201, body = Room), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "rate_limited: past the per-account quota of rooms")))]
#[tracing::instrument(skip_all)]
pub async fn create_room(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiJson(body): ApiJson<NewRoom>,
) -> Result<(StatusCode, Json<Room>), ApiError> {
    let room = state.console.create_room(&user, body).await?;
    Ok((StatusCode::CREATED, Json(room)))
}

#[utoipa::path(get, path = "/live/{live_id}", tag = "viewer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Room), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn get_room(State(state): State<AppState>, Path(live_id): Path<String>) -> Result<Json<Room>, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    Ok(Json(super::cached_room(&state, live_id).await?.room))
}

#[utoipa::path(post, path = "/live/{live_id}/goods", tag = "streamer", params(("live_id" = i64, Path, minimum = 1)), request_body = BindBody,
    responses((status = 201, body = Binding), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn bind(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
    ApiJson(body): ApiJson<BindBody>,
) -> Result<(StatusCode, Json<Binding>), ApiError> {
    let live_id = path_id(&live_id)?;
    let binding = state.console.bind(&user, live_id, body.spu_id).await?;
    Ok((StatusCode::CREATED, Json(binding)))
}

#[utoipa::path(delete, path = "/live/{live_id}/goods/{spu_id}", tag = "streamer",
    params(("live_id" = i64, Path, minimum = 1), ("spu_id" = i64, Path, minimum = 1)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn unbind(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((live_id, spu_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (live_id, spu_id) = (path_id(&live_id)?, path_id(&spu_id)?);
    state.console.unbind(&user, live_id, spu_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/live/{live_id}/goods/positions", tag = "streamer", params(("live_id" = i64, Path, minimum = 1)),
    request_body = PositionsBody,
    responses((status = 200, body = Positions), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn reorder(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
    ApiJson(body): ApiJson<PositionsBody>,
) -> Result<Json<Positions>, ApiError> {
    let live_id = path_id(&live_id)?;
    let spu_ids = state.console.reorder(&user, live_id, body.spu_ids).await?;
    Ok(Json(Positions { live_id, spu_ids }))
}

#[utoipa::path(post, path = "/live/{live_id}/explaining", tag = "streamer", params(("live_id" = i64, Path, minimum = 1)),
    request_body = ExplainingBody,
    responses((status = 200, body = Explaining), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn explain(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
    ApiJson(body): ApiJson<ExplainingBody>,
) -> Result<Json<Explaining>, ApiError> {
    let live_id = path_id(&live_id)?;
    let spu_id = state.console.explain(&user, live_id, body.spu_id).await?;
    Ok(Json(Explaining { live_id, spu_id }))
}

#[utoipa::path(post, path = "/live/{live_id}/end", tag = "streamer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Room), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn end_room(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
) -> Result<Json<Room>, ApiError> {
    let live_id = path_id(&live_id)?;
    Ok(Json(state.console.end_room(&user, live_id).await?))
}
