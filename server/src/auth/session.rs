//! Sessions: an unguessable token handed to the client once; only its SHA-256
//! is stored, so the table cannot be replayed if it leaks.

use app::{
    ids::UserId,
    model::{Role, SessionUser},
};
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::Result;

/// Sessions last 30 days.
pub const TTL_DAYS: i64 = 30;

fn mint_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub async fn create(db: &PgPool, user_id: UserId) -> Result<String> {
    let token = mint_token();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(hash(&token))
        .bind(user_id.get())
        .bind(Utc::now() + Duration::days(TTL_DAYS))
        .execute(db)
        .await?;
    Ok(token)
}

/// An account as stored.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    #[sqlx(try_from = "i64")]
    pub id: UserId,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(default)]
    pub password_hash: String,
}

/// The user behind a live token; `None` for unknown or expired tokens.
pub async fn user(db: &PgPool, token: &str) -> Result<Option<SessionUser>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(hash(token))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| SessionUser { user_id: r.id, username: r.username, role: r.role }))
}

pub async fn delete(db: &PgPool, token: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash(token)).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_hex() {
        let (a, b) = (mint_token(), mint_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
