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
    #[error("too many attempts; try again in a minute")]
    RateLimited,
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
