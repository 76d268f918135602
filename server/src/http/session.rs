//! The session of each request. A layer reads the caller's token (an app's
//! `Authorization: Bearer`, else the browser's session cookie) and attaches a
//! [`CurrentSession`] that resolves the user at most once, however many
//! extractors and server functions ask. Signing in or out through it records a
//! cookie change, which the layer writes on the way out: no port sees a header
//! or builds a cookie. The layer also resolves the client's address once
//! ([`ClientAddr`], behind trusted proxies the forwarded one) and leaves it in
//! the request's extensions for every limit.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
};

use app::{
    error::AppError,
    model::{AuthReply, Role, SessionUser},
    ports::{CurrentSession, Session},
};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};
use tokio::sync::OnceCell;

use super::client_addr::ClientAddr;
use crate::{
    auth::{Accounts, SESSION_TTL_DAYS},
    startup::state::AppState,
};

/// The browser's session cookie.
const COOKIE: &str = "lc_session";

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    app::cookies::value(header, COOKIE)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?.strip_prefix("Bearer ").map(str::trim)
}

/// The session token of a request: `Authorization: Bearer` (apps) first,
/// else the session cookie (browsers).
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(header::AUTHORIZATION) {
        return bearer_token(headers).map(str::to_owned);
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookie_header)
        .map(str::to_owned)
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, site-wide.
fn set_cookie(token: &str, secure: bool) -> String {
    let max_age = SESSION_TTL_DAYS * 24 * 3600;
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

struct RequestSession {
    accounts: Arc<Accounts>,
    token: Option<String>,
    client: ClientAddr,
    user: OnceCell<Option<SessionUser>>,
    /// The `Set-Cookie` this request's answer carries, if it signed in or out.
    cookie: Mutex<Option<String>>,
    cookie_secure: bool,
}

impl RequestSession {
    fn set_cookie(&self, value: String) {
        *self.cookie.lock().expect("lock poisoned") = Some(value);
    }
}

#[async_trait::async_trait]
impl Session for RequestSession {
    async fn user(&self) -> Result<Option<SessionUser>, AppError> {
        let Some(token) = &self.token else { return Ok(None) };
        let user = self.user.get_or_try_init(|| self.accounts.user(token)).await?;
        Ok(user.clone())
    }

    async fn register(&self, username: &str, password: &str, role: Role) -> Result<AuthReply, AppError> {
        let reply = self.accounts.register(username, password, role, self.client.0).await?;
        self.set_cookie(set_cookie(&reply.token, self.cookie_secure));
        Ok(reply)
    }

    async fn login(&self, username: &str, password: &str) -> Result<AuthReply, AppError> {
        let reply = self.accounts.login(username, password, self.client.0).await?;
        self.set_cookie(set_cookie(&reply.token, self.cookie_secure));
        Ok(reply)
    }

    async fn logout(&self) -> Result<(), AppError> {
        if let Some(token) = &self.token {
            self.accounts.logout(token).await?;
        }
        self.set_cookie(clear_cookie());
        Ok(())
    }
}

/// Middleware: resolves the client's address, attaches the request's session
/// and writes its cookie change.
pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let client = state.trusted_proxies.client(peer, req.headers());
    req.extensions_mut().insert(client);
    let session = Arc::new(RequestSession {
        accounts: state.accounts.clone(),
        token: request_token(req.headers()),
        client,
        user: OnceCell::new(),
        cookie: Mutex::new(None),
        cookie_secure: state.cookie_secure,
    });
    req.extensions_mut().insert(CurrentSession(session.clone()));
    let mut response = next.run(req).await;
    let cookie = session.cookie.lock().expect("lock poisoned").take();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_bearer_token_wins_over_the_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("lc_session=from-cookie"));
        assert_eq!(request_token(&headers).as_deref(), Some("from-cookie"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer from-header"));
        assert_eq!(request_token(&headers).as_deref(), Some("from-header"));
    }
}
