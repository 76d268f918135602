//! Server functions answer every error with HTTP 500 (Leptos's convention);
//! this layer gives them the status the same error has in the `/api` contract
//! (401, 403, 409, ...), so logs, metrics and proxies see a sign-in prompt or a
//! sold-out answer as what it is, and a 429 carries `Retry-After` as on the
//! JSON API. The body, which the client decodes, is kept.

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, StatusCode},
    middleware::Next,
    response::Response,
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use app::error::AppError;

/// Server-function error bodies are one small serialized `AppError`.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn error_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = super::error::error_code(&err).status();
        if let Some(wait) = super::error::retry_after(&err) {
            parts.headers.insert(header::RETRY_AFTER, wait);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
