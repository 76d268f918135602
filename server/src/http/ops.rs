//! Operations: rebuilding every room's goods cache from Postgres (operators
//! only, also `server rebuild-cache` on the command line), and a streamer's
//! view of what failed in their rooms: order-event sync failures and dead
//! letters, each with a retry.

use app::ports::Console as _;
use axum::{extract::State, http::StatusCode, Json};
use serde::Serialize;

use super::{
    error::{ApiError, ErrorBody},
    extract::Caller,
};
use crate::startup::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Rebuilt {
    pub rooms: usize,
}

#[utoipa::path(post, path = "/ops/cache/rebuild", tag = "operations",
    responses((status = 200, body = Rebuilt), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn rebuild_cache(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<(StatusCode, Json<Rebuilt>), ApiError> {
    if !state.operators.allows(&user) {
        return Err(ApiError::new(super::error::ErrorCode::Forbidden, "only operators can do this"));
    }
    let rooms = state.cache.rebuild_all().await?;
    Ok((StatusCode::OK, Json(Rebuilt { rooms })))
}

#[utoipa::path(get, path = "/ops/sync-failures", tag = "operations",
    responses((status = 200, body = [app::model::SyncFailure]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn sync_failures(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Json<Vec<app::model::SyncFailure>>, ApiError> {
    let rows = state.console.sync_failures(&user, None).await?;
    Ok(Json(rows))
}

#[utoipa::path(post, path = "/ops/sync-failures/{id}/retry", tag = "operations", params(("id" = i64, Path, minimum = 1)),
    responses((status = 202), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn retry_sync_failure(
    State(state): State<AppState>,
    Caller(user): Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 =
        id.parse().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::bad_request("id must be a positive integer"))?;
    state.console.retry_sync_failure(&user, id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Replayed {
    pub replayed: u64,
}

#[utoipa::path(get, path = "/ops/dead-letters", tag = "operations",
    responses((status = 200, body = [app::model::DeadLetter]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn dead_letters(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Json<Vec<app::model::DeadLetter>>, ApiError> {
    Ok(Json(state.console.dead_letters(&user, None).await?))
}

#[utoipa::path(post, path = "/ops/dead-letters/retry", tag = "operations",
    responses((status = 202, body = Replayed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn retry_dead_letters(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<(StatusCode, Json<Replayed>), ApiError> {
    let replayed = state.console.retry_dead_letters(&user, None).await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed })))
}
