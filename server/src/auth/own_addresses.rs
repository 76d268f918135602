//! The addresses an account signed in (or registered) from lately, in
//! Postgres: the lockout keeps the owner's own addresses out of the budget
//! strangers share. Older entries are forgotten as the account signs in again.

use std::net::IpAddr;

use app::ids::UserId;
use sqlx::PgPool;

use crate::error::Result;

/// How long a successful sign-in makes an address the account's own.
const RECENT_DAYS: i32 = 30;

/// Whether `user` signed in from `addr` within the last [`RECENT_DAYS`].
pub async fn is_own(db: &PgPool, user: UserId, addr: IpAddr) -> Result<bool> {
    let own = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sign_in_addresses
          WHERE user_id = $1 AND address = $2::inet AND last_at > now() - make_interval(days => $3))",
    )
    .bind(user.get())
    .bind(addr.to_string())
    .bind(RECENT_DAYS)
    .fetch_one(db)
    .await?;
    Ok(own)
}

/// Notes a successful sign-in of `user` from `addr`, and forgets the
/// account's addresses unused for longer than [`RECENT_DAYS`].
pub async fn record(db: &PgPool, user: UserId, addr: IpAddr) -> Result<()> {
    sqlx::query(
        "WITH forgotten AS (
            DELETE FROM sign_in_addresses
             WHERE user_id = $1 AND address <> $2::inet AND last_at <= now() - make_interval(days => $3)
         )
         INSERT INTO sign_in_addresses (user_id, address) VALUES ($1, $2::inet)
         ON CONFLICT (user_id, address) DO UPDATE SET last_at = now()",
    )
    .bind(user.get())
    .bind(addr.to_string())
    .bind(RECENT_DAYS)
    .execute(db)
    .await?;
    Ok(())
}
