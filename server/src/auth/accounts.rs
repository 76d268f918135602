//! Registration, sign-in and sign-out: the `Accounts` port of the UI, also
//! behind `/api/auth/*`.

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
use crate::failure::store_error;

pub struct Accounts {
    pub db: PgPool,
    pub limiter: RateLimiter,
    pub cookie_secure: bool,
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
    async fn limit_address(&self, client: IpAddr) -> Result<(), AppError> {
        if self.limiter.hit("auth-addr", &client.to_string(), PER_ADDRESS).await {
            Ok(())
        } else {
            Err(AppError::RateLimited)
        }
    }

    pub async fn register(
        &self,
        username: &str,
        pass: &str,
        role: Role,
        client: IpAddr,
    ) -> Result<AuthReply, AppError> {
        self.limit_address(client).await?;
        if !valid_username(username) {
            return Err(AppError::Invalid(Reason::UsernameShape));
        }
        valid_password(pass)?;
        let hash = password::hash(pass).map_err(store_error)?;
        let role_name = match role {
            Role::Viewer => "viewer",
            Role::Streamer => "streamer",
        };
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
             ON CONFLICT ((lower(username))) DO NOTHING RETURNING id",
        )
        .bind(username)
        .bind(hash)
        .bind(role_name)
        .fetch_optional(&self.db)
        .await
        .map_err(store_error)?;
        let id = id.ok_or(AppError::Conflict(Reason::UsernameTaken))?;
        let user_id = UserId::new(id).map_err(|_| AppError::Internal)?;
        let token = session::create(&self.db, user_id).await.map_err(store_error)?;
        Ok(AuthReply { user_id, username: username.to_owned(), role, token })
    }

    pub async fn login(&self, username: &str, pass: &str, client: IpAddr) -> Result<AuthReply, AppError> {
        self.limit_address(client).await?;
        let account = username.to_ascii_lowercase();
        if self.limiter.exhausted("login-fail", &account, FAILED_LOGINS_PER_ACCOUNT).await {
            return Err(AppError::RateLimited);
        }
        let row: Option<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, username, role, password_hash FROM users WHERE lower(username) = lower($1)")
                .bind(username)
                .fetch_optional(&self.db)
                .await
                .map_err(store_error)?;
        let stored = row.as_ref().map(|r| r.3.as_str()).unwrap_or(DUMMY_HASH.as_str());
        let pass = pass.to_owned();
        let stored_owned = stored.to_owned();
        let ok = tokio::task::spawn_blocking(move || password::verify(&pass, &stored_owned)).await.unwrap_or(false);
        match row {
            Some((id, name, role, _)) if ok => {
                let user_id = UserId::new(id).map_err(|_| AppError::Internal)?;
                let token = session::create(&self.db, user_id).await.map_err(store_error)?;
                Ok(AuthReply { user_id, username: name, role: session::parse_role(&role), token })
            }
            _ => {
                self.limiter.hit("login-fail", &account, FAILED_LOGINS_PER_ACCOUNT).await;
                Err(AppError::Unauthorized)
            }
        }
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        session::delete(&self.db, token).await.map_err(store_error)
    }

    pub async fn current_user(&self, token: &str) -> Result<Option<SessionUser>, AppError> {
        session::user(&self.db, token).await.map_err(store_error)
    }
}

#[async_trait::async_trait]
impl app::ports::Accounts for Accounts {
    async fn register(
        &self,
        username: &str,
        password: &str,
        role: Role,
        client: IpAddr,
    ) -> Result<AuthReply, AppError> {
        Accounts::register(self, username, password, role, client).await
    }

    async fn login(&self, username: &str, password: &str, client: IpAddr) -> Result<AuthReply, AppError> {
        Accounts::login(self, username, password, client).await
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        Accounts::logout(self, token).await
    }

    async fn current_user(&self, token: &str) -> Result<Option<SessionUser>, AppError> {
        Accounts::current_user(self, token).await
    }

    fn request_token(&self, headers: &axum::http::HeaderMap) -> Option<String> {
        crate::http::extract::request_token(headers)
    }

    fn session_cookie(&self, token: &str) -> String {
        session::set_cookie(token, self.cookie_secure)
    }

    fn clear_session_cookie(&self) -> String {
        session::clear_cookie()
    }
}
