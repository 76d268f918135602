//! The error of every port and server function: what the UI can tell a
//! person and the JSON API maps to its public codes, never a server internal.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

pub use crate::reason::{Field, Reason};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("please sign in")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// Malformed input (400).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed input that breaks a rule (422).
    #[error("{0}")]
    Invalid(Reason),
    /// Input that clashes with what exists (409).
    #[error("{0}")]
    Conflict(Reason),
    #[error("sold out")]
    SoldOut,
    #[error("over the purchase limit")]
    PurchaseLimit,
    #[error("the sale has not started")]
    SaleNotStarted,
    /// Over an anti-abuse limit (429); `retry_after_secs` is how long to wait,
    /// when known (the JSON API's `Retry-After`).
    #[error("too many attempts; try again later")]
    RateLimited { retry_after_secs: Option<u64> },
    #[error("temporarily unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// The call itself failed (network, encoding): the server never answered it.
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("no such {what}"))
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("you do not own this".into())
    }

    /// Whether the answer settles the request: a retry with the same
    /// idempotency key cannot change it. A transport failure, an unavailable
    /// store or an internal error may hide an order that was placed, and a
    /// rate limit or an attempt still in flight settles nothing, so a retry
    /// must reuse the key.
    pub fn is_definitive(&self) -> bool {
        !matches!(
            self,
            Self::Transport(_)
                | Self::Unavailable
                | Self::Internal
                | Self::RateLimited { .. }
                | Self::Conflict(Reason::IdempotencyInFlight)
        )
    }

    /// Over a limit, to be tried again in `secs` seconds.
    pub fn rate_limited(secs: u64) -> Self {
        Self::RateLimited { retry_after_secs: Some(secs) }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Arguments the server could not read are the caller's mistake (400),
    /// not the server's. In the browser, a response it cannot decode is a
    /// transport failure.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest(value.to_string()),
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => AppError::BadRequest(value.to_string()),
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_settle_a_purchase_and_failures_in_transit_do_not() {
        assert!(AppError::SoldOut.is_definitive());
        assert!(AppError::Invalid(Reason::Quantity { max: 99 }).is_definitive());
        for open in [
            AppError::Transport("timed out".into()),
            AppError::Unavailable,
            AppError::Internal,
            AppError::rate_limited(30),
            AppError::Conflict(Reason::IdempotencyInFlight),
        ] {
            assert!(!open.is_definitive(), "{open:?}");
        }
    }

    #[test]
    fn a_rate_limits_wait_survives_the_trip_to_the_browser() {
        let err = AppError::rate_limited(30);
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }
}
