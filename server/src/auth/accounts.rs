//! Registration, sign-in and sign-out, for the browser (through the request's
//! session, which also sets the cookie) and for apps (`/api/auth/*`, bearer
//! tokens) alike.

use std::{net::IpAddr, sync::LazyLock};

use app::{
    error::{AppError, Reason},
    ids::UserId,
    model::{AuthReply, Role, SessionUser},
};
use sqlx::PgPool;

use super::{
    password,
    rate_limit::{RateLimiter, FAILED_LOGINS_PER_ACCOUNT, PER_ADDRESS},
    session,
};
use crate::error::Result;

pub struct Accounts {
    db: PgPool,
    limiter: RateLimiter,
}

/// A hash of a password nobody has, checked when the user does not exist so
/// that a wrong username takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| password::hash("no-such-user-password").unwrap_or_default());

fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

fn valid_password(pass: &str) -> Result<(), AppError> {
    if !PASSWORD_CHARS.contains(&pass.chars().count()) {
        let (min, max) = (*PASSWORD_CHARS.start(), *PASSWORD_CHARS.end());
        return Err(AppError::Invalid(Reason::PasswordLength { min, max }));
    }
    Ok(())
}

impl Accounts {
    pub fn new(db: PgPool, limiter: RateLimiter) -> Self {
        Self { db, limiter }
    }

    async fn limit_address(&self, client: IpAddr) -> Result<()> {
        if self.limiter.hit("auth-addr", &client.to_string(), PER_ADDRESS).await {
            Ok(())
        } else {
            Err(AppError::RateLimited.into())
        }
    }

    #[tracing::instrument(skip(self, pass))]
    pub async fn register(&self, username: &str, pass: &str, role: Role, client: IpAddr) -> Result<AuthReply> {
        self.limit_address(client).await?;
        if !valid_username(username) {
            return Err(AppError::Invalid(Reason::UsernameShape).into());
        }
        valid_password(pass)?;
        let hash = password::hash_blocking(pass.to_owned()).await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
             ON CONFLICT ((lower(username))) DO NOTHING RETURNING id",
        )
        .bind(username)
        .bind(hash)
        .bind(role.as_str())
        .fetch_optional(&self.db)
        .await?;
        let id = id.ok_or(AppError::Conflict(Reason::UsernameTaken))?;
        let user_id = UserId::new(id).map_err(anyhow::Error::from)?;
        let token = session::create(&self.db, user_id).await?;
        Ok(AuthReply { user_id, username: username.to_owned(), role, token })
    }

    #[tracing::instrument(skip(self, pass))]
    pub async fn login(&self, username: &str, pass: &str, client: IpAddr) -> Result<AuthReply> {
        self.limit_address(client).await?;
        let account = username.to_ascii_lowercase();
        if self.limiter.exhausted("login-fail", &account, FAILED_LOGINS_PER_ACCOUNT).await {
            return Err(AppError::RateLimited.into());
        }
        let row: Option<session::UserRow> =
            sqlx::query_as("SELECT id, username, role, password_hash FROM users WHERE lower(username) = lower($1)")
                .bind(username)
                .fetch_optional(&self.db)
                .await?;
        let stored = row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = password::verify_blocking(pass.to_owned(), stored).await;
        match row {
            Some(user) if ok => {
                let token = session::create(&self.db, user.id).await?;
                Ok(AuthReply { user_id: user.id, username: user.username, role: user.role, token })
            }
            _ => {
                self.limiter.hit("login-fail", &account, FAILED_LOGINS_PER_ACCOUNT).await;
                Err(AppError::Unauthorized.into())
            }
        }
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        session::delete(&self.db, token).await
    }

    pub async fn user(&self, token: &str) -> Result<Option<SessionUser>> {
        session::user(&self.db, token).await
    }
}
