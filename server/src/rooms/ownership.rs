//! Room ownership: only a room's owner changes it. Every change locks the room
//! row first, which also orders concurrent changes and bumps the room's goods
//! version, so the cache rebuilt after it is newer than any before.

use app::{
    error::AppError,
    ids::{LiveId, UserId},
};
use sqlx::{PgConnection, PgPool};

use crate::error::Result;

/// Locks the room for a change by `user` and bumps its goods version.
/// 404 for an unknown room, 403 for someone else's.
pub async fn lock_owned_room(conn: &mut PgConnection, live_id: LiveId, user: UserId) -> Result<()> {
    let owner: Option<i64> =
        sqlx::query_scalar("UPDATE live_rooms SET goods_version = goods_version + 1 WHERE id = $1 RETURNING owner_id")
            .bind(live_id.get())
            .fetch_optional(conn)
            .await?;
    owned_by(owner, user)
}

/// Checks, without a lock, that `user` owns the room (for reads such as the
/// dashboard). 404 for an unknown room, 403 for someone else's.
pub async fn check_owner(db: &PgPool, live_id: LiveId, user: UserId) -> Result<()> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT owner_id FROM live_rooms WHERE id = $1")
        .bind(live_id.get())
        .fetch_optional(db)
        .await?;
    owned_by(owner, user)
}

/// The verdict on a room's owner as read (`None`: no such room).
fn owned_by(owner: Option<i64>, user: UserId) -> Result<()> {
    match owner {
        None => Err(AppError::not_found("live room").into()),
        Some(owner) if owner != user.get() => Err(AppError::forbidden().into()),
        Some(_) => Ok(()),
    }
}
