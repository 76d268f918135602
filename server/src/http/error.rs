//! The one mapping from failures to the public error body of `API.md`:
//! `{"error": {"code": "...", "message": "..."}}`. 500s are logged with their
//! cause chain here and never leak it.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

/// A public error code from `API.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    SoldOut,
    PurchaseLimit,
    SaleNotStarted,
    PayloadTooLarge,
    Validation,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict | Self::SoldOut | Self::PurchaseLimit | Self::SaleNotStarted => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answered to an `/api/*` caller.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    pub fn unavailable() -> Self {
        Self::new(ErrorCode::Unavailable, "the service is temporarily unavailable; try again shortly")
    }

    /// Logs `cause` with its whole chain and answers a 500 that says nothing about it.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        tracing::error!(error = ?cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            // Postgres unreachable or the pool exhausted: the caller may retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %err, "database unavailable");
                Self::unavailable()
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        (self.code.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_flavour_answers_409() {
        for code in [ErrorCode::Conflict, ErrorCode::SoldOut, ErrorCode::PurchaseLimit, ErrorCode::SaleNotStarted] {
            assert_eq!(code.status(), StatusCode::CONFLICT);
        }
    }

    #[test]
    fn codes_serialize_in_snake_case_as_the_contract_spells_them() {
        let json = serde_json::to_string(&ErrorCode::SaleNotStarted).unwrap();
        assert_eq!(json, "\"sale_not_started\"");
    }

    #[test]
    fn an_internal_error_hides_its_cause() {
        let err = ApiError::internal(anyhow::anyhow!("password=hunter2 at db.internal:5432"));
        assert_eq!(err.message, "internal error");
        assert_eq!(err.code.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
