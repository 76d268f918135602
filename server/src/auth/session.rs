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

/// The browser's session cookie.
pub const COOKIE: &str = "lc_session";
/// Sessions last 30 days.
pub const TTL_DAYS: i64 = 30;

pub fn mint_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub async fn create(db: &PgPool, user_id: UserId) -> sqlx::Result<String> {
    let token = mint_token();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(hash(&token))
        .bind(user_id.get())
        .bind(Utc::now() + Duration::days(TTL_DAYS))
        .execute(db)
        .await?;
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    username: String,
    role: String,
}

/// The user behind a live token; `None` for unknown or expired tokens.
pub async fn user(db: &PgPool, token: &str) -> sqlx::Result<Option<SessionUser>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(hash(token))
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        Some(SessionUser { user_id: UserId::new(r.id).ok()?, username: r.username, role: parse_role(&r.role) })
    }))
}

pub async fn delete(db: &PgPool, token: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash(token)).execute(db).await?;
    Ok(())
}

pub fn parse_role(role: &str) -> Role {
    if role == "streamer" {
        Role::Streamer
    } else {
        Role::Viewer
    }
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(name, _)| *name == COOKIE).map(|(_, v)| v)
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, site-wide.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let max_age = TTL_DAYS * 24 * 3600;
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
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

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(token_from_cookie_header("a=1; lc_session=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookie_header("lc_sessionx=1"), None);
        assert_eq!(token_from_cookie_header(""), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_same_site() {
        let c = set_cookie("t", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(set_cookie("t", true).ends_with("; Secure"));
    }
}
