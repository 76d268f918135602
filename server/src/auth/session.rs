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

/// A token's SHA-256, as stored (and as the process's session copies are keyed).
pub type TokenDigest = [u8; 32];

pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` could be one we minted (64 hex digits); others are never looked up.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
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

/// The user behind a live token and how long the session has left; `None`
/// for unknown or expired tokens.
pub async fn user_until(db: &PgPool, token: &str) -> Result<Option<(SessionUser, std::time::Duration)>> {
    if !well_formed(token) {
        return Ok(None);
    }
    let row: Option<LiveSession> = sqlx::query_as(
        "SELECT u.id, u.username, u.role, EXTRACT(EPOCH FROM s.expires_at - now())::FLOAT8 AS left_s
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(hash(token))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|LiveSession { user: r, left_s }| {
        let user = SessionUser { user_id: r.id, username: r.username, role: r.role };
        (user, std::time::Duration::from_secs_f64(left_s.max(0.0)))
    }))
}

#[derive(sqlx::FromRow)]
struct LiveSession {
    #[sqlx(flatten)]
    user: UserRow,
    left_s: f64,
}

/// Ends the session; the same statement records the revocation, which every
/// process's session cache hears within its poll (`session_cache`).
pub async fn delete(db: &PgPool, token: &str) -> Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM sessions WHERE token_hash = $1 RETURNING token_hash)
         INSERT INTO revoked_sessions (token_hash) SELECT token_hash FROM gone",
    )
    .bind(hash(token))
    .execute(db)
    .await?;
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
