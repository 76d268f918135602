//! The one mapping from failures to the public error body of `API.md`:
//! `{"error": {"code": "...", "message": "..."}}`. Domain errors arrive as
//! `crate::Error` and pass through `AppError` (where a 500 is logged once with
//! its cause chain); the body never carries the cause. A 429 also says how long
//! to wait in `Retry-After` (seconds), here and on server functions alike.

use app::error::AppError;
use axum::{
    http::{header, HeaderValue, StatusCode},
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
    /// Seconds the caller should wait (`Retry-After`), for 429s that know it.
    retry_after_secs: Option<u64>,
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
        Self { code, message: message.into(), retry_after_secs: None }
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

    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "sign in first")
    }
}

/// The `Retry-After` header an `AppError` asks for, if any.
pub fn retry_after(err: &AppError) -> Option<HeaderValue> {
    match err {
        AppError::RateLimited { retry_after_secs: Some(secs) } => Some(HeaderValue::from(*secs)),
        _ => None,
    }
}

/// The public code of an `AppError`.
pub fn error_code(err: &AppError) -> ErrorCode {
    use ErrorCode as C;
    match err {
        AppError::NotFound(_) => C::NotFound,
        AppError::Unauthorized => C::Unauthorized,
        AppError::Forbidden(_) => C::Forbidden,
        AppError::BadRequest(_) => C::BadRequest,
        AppError::Invalid(_) => C::Validation,
        AppError::Conflict(_) => C::Conflict,
        AppError::SoldOut => C::SoldOut,
        AppError::PurchaseLimit => C::PurchaseLimit,
        AppError::SaleNotStarted => C::SaleNotStarted,
        AppError::RateLimited { .. } => C::RateLimited,
        AppError::Unavailable => C::Unavailable,
        AppError::Internal | AppError::Transport(_) => C::Internal,
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let code = error_code(&err);
        let retry_after_secs = match err {
            AppError::RateLimited { retry_after_secs } => retry_after_secs,
            _ => None,
        };
        let message = match err {
            AppError::NotFound(msg) | AppError::Forbidden(msg) | AppError::BadRequest(msg) => msg,
            AppError::Invalid(reason) | AppError::Conflict(reason) => reason.to_string(),
            AppError::Unauthorized => "sign in first".into(),
            AppError::SoldOut => "sold out: not enough stock for every item".into(),
            AppError::PurchaseLimit => "this order goes over the per-user purchase limit".into(),
            AppError::SaleNotStarted => "the flash sale has not started yet".into(),
            AppError::RateLimited { retry_after_secs: Some(secs) } => {
                format!("too many attempts; try again in {secs} seconds")
            }
            AppError::RateLimited { retry_after_secs: None } => "too many attempts; try again later".into(),
            AppError::Unavailable => "the service is temporarily unavailable; try again shortly".into(),
            // Logged where it became an `AppError`; the caller learns nothing of it.
            AppError::Internal | AppError::Transport(_) => "internal error".into(),
        };
        Self { retry_after_secs, ..Self::new(code, message) }
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(err: crate::error::Error) -> Self {
        AppError::from(err).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        let mut response = (self.code.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
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
    fn a_rate_limit_that_knows_the_wait_says_it_in_retry_after() {
        let response = ApiError::from(AppError::rate_limited(30)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");
        let unknown = ApiError::from(AppError::RateLimited { retry_after_secs: None }).into_response();
        assert!(!unknown.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn an_internal_error_hides_its_cause() {
        let err = ApiError::from(crate::error::Error::Other(anyhow::anyhow!("password=hunter2 at db.internal:5432")));
        assert_eq!(err.message, "internal error");
        assert_eq!(err.code.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
