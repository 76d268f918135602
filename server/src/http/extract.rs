//! Extractors that answer in the contract's error shape: JSON bodies
//! (malformed → 400, wrong shape → 422, too large → 413), ids in the path
//! (malformed → 400), the request's session and the signed-in caller (none → 401),
//! and the client's address.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    str::FromStr,
    sync::Arc,
};

use app::{
    error::AppError,
    ids::InvalidId,
    model::SessionUser,
    ports::{CurrentSession, Session},
};
use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{request::Parts, Extensions, StatusCode},
    Json,
};
use serde::de::DeserializeOwned;

use super::error::{ApiError, ErrorCode};

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

/// The request's session (attached by `session::attach` to every request).
pub struct RequestSession(pub Arc<dyn Session>);

impl<S: Send + Sync> FromRequestParts<S> for RequestSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let CurrentSession(session) =
            parts.extensions.get::<CurrentSession>().cloned().ok_or_else(|| ApiError::from(AppError::Unavailable))?;
        Ok(Self(session))
    }
}

/// The signed-in caller; 401 `unauthorized` without one, before anything else.
pub struct Caller(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let MaybeCaller(user) = MaybeCaller::from_request_parts(parts, state).await?;
        user.map(Caller).ok_or_else(ApiError::unauthorized)
    }
}

/// The caller if signed in, for calls anyone may make.
pub struct MaybeCaller(pub Option<SessionUser>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let RequestSession(session) = RequestSession::from_request_parts(parts, state).await?;
        Ok(Self(session.user().await?))
    }
}

/// The client's address, as the session layer resolved it once (the TCP peer,
/// or behind a trusted proxy the `X-Forwarded-For` entry it names).
pub fn client_address(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<super::ClientAddr>()
        .map(|super::ClientAddr(addr)| *addr)
        .or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client's address ([`client_address`]).
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(client_address(&parts.extensions)))
    }
}
