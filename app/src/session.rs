//! Server functions for signing in, registering and out, and for reading the
//! signed-in user. Redirect targets are only paths on this site.

use leptos::prelude::*;

use crate::{error::AppError, model::SessionUser};

/// A post-sign-in target: a path on this site, never another host.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    (local && next.len() <= 512 && !next.chars().any(char::is_control)).then(|| next.to_owned())
}

#[cfg(feature = "ssr")]
mod server {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use leptos::prelude::*;

    use crate::{error::AppError, model::SessionUser, ports::services};

    pub async fn current() -> Result<Option<SessionUser>, AppError> {
        let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
        let accounts = services()?.accounts;
        match accounts.request_token(&headers) {
            Some(token) => accounts.current_user(&token).await,
            None => Ok(None),
        }
    }

    pub async fn client_ip() -> Result<std::net::IpAddr, AppError> {
        let ConnectInfo(addr): ConnectInfo<SocketAddr> =
            leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
        Ok(addr.ip())
    }

    pub fn set_cookie(value: String) {
        if let (Some(response), Ok(value)) =
            (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&value))
        {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}

/// The signed-in user, or an `Unauthorized` error.
#[cfg(feature = "ssr")]
pub async fn require_user() -> Result<SessionUser, AppError> {
    server::current().await?.ok_or(AppError::Unauthorized)
}

#[server(endpoint = "session/me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    server::current().await
}

#[server(endpoint = "session/login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<SessionUser, AppError> {
    let services = crate::ports::services()?;
    let reply = services.accounts.login(username.trim(), &password, server::client_ip().await?).await?;
    server::set_cookie(services.accounts.session_cookie(&reply.token));
    let fallback = if reply.role == crate::model::Role::Streamer { "/console" } else { "/" };
    leptos_axum::redirect(&safe_next(next.as_deref()).unwrap_or_else(|| fallback.to_owned()));
    Ok(SessionUser { user_id: reply.user_id, username: reply.username, role: reply.role })
}

#[server(endpoint = "session/register")]
pub async fn register(
    username: String,
    password: String,
    role: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    let role = if role == "streamer" { crate::model::Role::Streamer } else { crate::model::Role::Viewer };
    let services = crate::ports::services()?;
    let reply = services.accounts.register(username.trim(), &password, role, server::client_ip().await?).await?;
    server::set_cookie(services.accounts.session_cookie(&reply.token));
    let fallback = if reply.role == crate::model::Role::Streamer { "/console" } else { "/" };
    leptos_axum::redirect(&safe_next(next.as_deref()).unwrap_or_else(|| fallback.to_owned()));
    Ok(SessionUser { user_id: reply.user_id, username: reply.username, role: reply.role })
}

#[server(endpoint = "session/logout")]
pub async fn logout() -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    if let Some(token) = services.accounts.request_token(&headers) {
        services.accounts.logout(&token).await?;
    }
    server::set_cookie(services.accounts.clear_session_cookie());
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(safe_next(Some("/console/live/3")).as_deref(), Some("/console/live/3"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil",
            "/x?u=http://a",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }
}
