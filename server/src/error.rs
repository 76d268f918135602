//! The server's one error type. Domain code returns [`Result`] and uses `?` on
//! sqlx, redis and anyhow errors alike; a refusal a person should hear (not
//! found, sold out, a field out of range) carries the public `AppError`.
//!
//! It becomes an `AppError` once, at the edge (the ports the server functions
//! call, and through it the JSON error body in `http::error`): a store that
//! cannot be reached, or Postgres gave up on a statement (a timeout, a
//! deadlock), answers `unavailable` (the caller may retry), anything
//! else `internal`, each logged there once with its cause chain and never
//! shown to the caller.

use std::fmt::Write as _;

use app::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A refusal the caller is told as it is.
    #[error(transparent)]
    Refused(#[from] AppError),
    #[error("Postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn postgres_unreachable(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
}

/// Postgres answered but gave up on this statement: a statement timeout, a
/// deadlock, a serialization failure or a lock it would not wait for. Nothing
/// was written; the caller may retry.
fn postgres_busy(err: &sqlx::Error) -> bool {
    let code = match err {
        sqlx::Error::Database(db) => db.code(),
        _ => None,
    };
    matches!(code.as_deref(), Some("57014" | "40P01" | "40001" | "55P03"))
}

fn redis_unreachable(err: &redis::RedisError) -> bool {
    err.is_io_error() || err.is_timeout() || err.is_connection_dropped() || err.is_connection_refusal()
}

impl Error {
    /// Postgres or Redis could not be reached (or did not answer in time).
    /// An error one load met and every caller that waited for it shares:
    /// refusals stay themselves, an unreachable store stays 503, anything
    /// else keeps its message.
    pub fn shared(err: std::sync::Arc<Error>) -> Error {
        match &*err {
            Error::Refused(refusal) => Error::Refused(refusal.clone()),
            unreachable if unreachable.is_unreachable() => Error::Refused(AppError::Unavailable),
            other => Error::Other(anyhow::anyhow!("{other:#}")),
        }
    }

    pub fn is_unreachable(&self) -> bool {
        match self {
            Error::Refused(_) => false,
            Error::Postgres(err) => postgres_unreachable(err),
            Error::Redis(err) => redis_unreachable(err),
            Error::Other(err) => err.chain().any(|cause| {
                cause.downcast_ref::<sqlx::Error>().is_some_and(postgres_unreachable)
                    || cause.downcast_ref::<redis::RedisError>().is_some_and(redis_unreachable)
            }),
        }
    }

    /// Worth retrying: a store unreachable, or Postgres too busy for this statement.
    pub fn is_transient(&self) -> bool {
        self.is_unreachable()
            || match self {
                Error::Postgres(err) => postgres_busy(err),
                Error::Other(err) => err.chain().any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(postgres_busy)),
                Error::Refused(_) | Error::Redis(_) => false,
            }
    }

    /// The error and every cause under it, for the log.
    fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(inner) = cause {
            let _ = write!(text, ": {inner}");
            cause = inner.source();
        }
        text
    }
}

impl From<Error> for AppError {
    fn from(err: Error) -> AppError {
        match err {
            Error::Refused(refusal) => refusal,
            err if err.is_transient() => {
                tracing::warn!(error = %err.chain(), "store unreachable or busy");
                AppError::Unavailable
            }
            err => {
                tracing::error!(error = %err.chain(), "internal error");
                AppError::Internal
            }
        }
    }
}

/// Turns the violation of one named constraint into the refusal it means
/// (`orders_idempotency_key` → the same key is in flight), and lets every
/// other error through unchanged.
pub trait OnConstraint<T> {
    fn on_constraint(self, name: &str, refusal: impl FnOnce() -> AppError) -> Result<T>;
}

impl<T, E: Into<Error>> OnConstraint<T> for std::result::Result<T, E> {
    fn on_constraint(self, name: &str, refusal: impl FnOnce() -> AppError) -> Result<T> {
        self.map_err(|err| match err.into() {
            Error::Postgres(sqlx::Error::Database(db)) if db.constraint() == Some(name) => refusal().into(),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reaches_the_caller_as_it_is() {
        assert_eq!(AppError::from(Error::from(AppError::SoldOut)), AppError::SoldOut);
    }

    #[test]
    fn an_unreachable_store_answers_unavailable_and_anything_else_internal_without_details() {
        assert_eq!(AppError::from(Error::Postgres(sqlx::Error::PoolTimedOut)), AppError::Unavailable);
        let io = redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused"));
        assert_eq!(AppError::from(Error::Redis(io)), AppError::Unavailable);
        let hidden = Error::Other(anyhow::anyhow!("password=hunter2 at db.internal:5432"));
        assert_eq!(AppError::from(hidden), AppError::Internal);
    }

    #[test]
    fn the_log_line_carries_the_cause_chain() {
        let err = Error::Other(anyhow::anyhow!("socket closed").context("publishing order 42"));
        assert!(err.chain().contains("publishing order 42"));
        assert!(err.chain().contains("socket closed"), "{}", err.chain());
    }
}
