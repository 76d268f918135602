//! Store failures become `AppError` here, once: logged with their cause chain,
//! answered as `unavailable` when the store is unreachable (the caller may
//! retry) and as `internal` otherwise, never with their details.

use app::error::AppError;

pub fn store_error(err: impl Into<anyhow::Error>) -> AppError {
    let err = err.into();
    let unreachable = err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
        ) || cause.downcast_ref::<redis::RedisError>().is_some_and(|e| e.is_io_error() || e.is_timeout())
    });
    if unreachable {
        tracing::warn!(error = ?err, "store unreachable");
        AppError::Unavailable
    } else {
        tracing::error!(error = ?err, "store failure");
        AppError::Internal
    }
}
