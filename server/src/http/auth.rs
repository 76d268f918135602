//! `/api/auth/*`: register, login, logout. Browsers get the session as an
//! HttpOnly cookie; apps use the returned token as a bearer token.

use std::net::SocketAddr;

use app::model::{AuthReply, Role};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;

use super::{
    error::{ApiError, ErrorBody},
    extract::{request_token, ApiJson},
    from_app_error,
};
use crate::{auth::session, state::AppState};

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

fn with_session_cookie(status: StatusCode, reply: AuthReply, secure: bool) -> Response {
    let cookie = session::set_cookie(&reply.token, secure);
    (status, [(header::SET_COOKIE, cookie)], Json(reply)).into_response()
}

#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = AuthReply), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    let role = body.role.unwrap_or(Role::Viewer);
    let reply = state
        .services
        .accounts
        .register(&body.username, &body.password, role, client.ip())
        .await
        .map_err(from_app_error)?;
    Ok(with_session_cookie(StatusCode::CREATED, reply, state.cookie_secure))
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = AuthReply), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let reply =
        state.services.accounts.login(&body.username, &body.password, client.ip()).await.map_err(|e| match e {
            app::error::AppError::Unauthorized => {
                ApiError::new(super::error::ErrorCode::Unauthorized, "wrong username or password")
            }
            other => from_app_error(other),
        })?;
    Ok(with_session_cookie(StatusCode::OK, reply, state.cookie_secure))
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = request_token(&headers) {
        state.services.accounts.logout(&token).await.map_err(from_app_error)?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session::clear_cookie())]).into_response())
}
