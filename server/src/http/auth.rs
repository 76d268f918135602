//! `/api/auth/*`: register, login, logout. Browsers get the session as an
//! HttpOnly cookie (set by the session layer); apps use the returned token as
//! a bearer token.

use app::{
    error::AppError,
    model::{AuthReply, Role},
};
use axum::{http::StatusCode, Json};
use serde::Deserialize;

use super::{
    error::{ApiError, ErrorBody, ErrorCode},
    extract::{ApiJson, RequestSession},
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterBody {
    pub username: String,
    pub password: String,
    /// `viewer` (default) or `streamer`.
    #[serde(default)]
    pub role: Option<Role>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = AuthReply), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn register(
    RequestSession(session): RequestSession,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<AuthReply>), ApiError> {
    let role = body.role.unwrap_or(Role::Viewer);
    let reply = session.register(&body.username, &body.password, role).await?;
    Ok((StatusCode::CREATED, Json(reply)))
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = AuthReply), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64, description = "seconds this address must wait"))),
        (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    RequestSession(session): RequestSession,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<AuthReply>, ApiError> {
    match session.login(&body.username, &body.password).await {
        Ok(reply) => Ok(Json(reply)),
        Err(AppError::Unauthorized) => Err(ApiError::new(ErrorCode::Unauthorized, "wrong username or password")),
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
#[tracing::instrument(skip_all)]
pub async fn logout(RequestSession(session): RequestSession) -> Result<StatusCode, ApiError> {
    session.logout().await?;
    Ok(StatusCode::NO_CONTENT)
}
