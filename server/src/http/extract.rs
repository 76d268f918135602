//! Extractors that answer in the contract's error shape: JSON bodies
//! (malformed → 400, wrong shape → 422, too large → 413), ids in the path
//! (malformed → 400), and the signed-in caller (none → 401).

use std::str::FromStr;

use app::{ids::InvalidId, model::SessionUser};
use axum::{
    extract::{rejection::JsonRejection, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
    Json,
};
use serde::de::DeserializeOwned;

use super::error::{ApiError, ErrorCode};
use crate::{auth::session, state::AppState};

/// A JSON body whose rejections use the contract's error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::validation(e.body_text()),
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request("the body is not valid JSON"),
        JsonRejection::MissingJsonContentType(_) => ApiError::bad_request("expected Content-Type: application/json"),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "the body is too large")
        }
        other => ApiError::bad_request(other.body_text()),
    }
}

/// Parses an id from a path segment: 400 `bad_request` when malformed.
pub fn path_id<T: FromStr<Err = InvalidId>>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|e: InvalidId| ApiError::bad_request(e.to_string()))
}

/// The session token of a request: `Authorization: Bearer` (apps) first,
/// else the session cookie (browsers).
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return auth.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::token_from_cookie_header)
        .map(str::to_owned)
}

/// The signed-in caller; 401 `unauthorized` without one, before anything else.
pub struct Caller(pub SessionUser);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || ApiError::new(ErrorCode::Unauthorized, "sign in first");
        let token = request_token(&parts.headers).ok_or_else(unauthorized)?;
        let user = state.services.accounts.current_user(&token).await.map_err(super::from_app_error)?;
        user.map(Caller).ok_or_else(unauthorized)
    }
}

/// The caller if signed in, for calls anyone may make.
pub struct MaybeCaller(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = request_token(&parts.headers) else { return Ok(Self(None)) };
        let user = state.services.accounts.current_user(&token).await.map_err(super::from_app_error)?;
        Ok(Self(user))
    }
}
