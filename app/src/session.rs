//! Server functions for signing in, registering and out, and for reading the
//! signed-in user. Redirect targets are only paths on this site.

use leptos::prelude::*;

use crate::{error::AppError, model::SessionUser};

/// Whether the server seeded the demo accounts (`LIVE_DEMO_DATA`), so the
/// login page may show them. The server provides it to every page it renders;
/// [`DemoLogins::share`] carries it into the browser with the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoLogins(pub bool);

impl DemoLogins {
    /// At the root, once: the server's value, read back from the page while
    /// hydrating (the same on both sides), provided to every page below.
    pub fn share() {
        let seeded = SharedValue::new(|| use_context::<DemoLogins>().is_some_and(|d| d.0)).into_inner();
        provide_context(DemoLogins(seeded));
    }

    /// The value [`share`](Self::share) provided (off if none was).
    pub fn seeded() -> bool {
        use_context::<DemoLogins>().is_some_and(|d| d.0)
    }
}

/// A post-sign-in target: a path on this site, never another host.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    (local && next.len() <= 512 && !next.chars().any(char::is_control)).then(|| next.to_owned())
}

/// The signed-in user, or an `Unauthorized` error.
#[cfg(feature = "ssr")]
pub async fn require_user() -> Result<SessionUser, AppError> {
    crate::ports::session().await?.user().await?.ok_or(AppError::Unauthorized)
}

/// Where a new session goes: `next` when it is a path on this site, else the
/// console for streamers and the home page for viewers.
#[cfg(feature = "ssr")]
fn land(reply: crate::model::AuthReply, next: Option<String>) -> SessionUser {
    let fallback = if reply.role == crate::model::Role::Streamer { "/console" } else { "/" };
    leptos_axum::redirect(&safe_next(next.as_deref()).unwrap_or_else(|| fallback.to_owned()));
    SessionUser { user_id: reply.user_id, username: reply.username, role: reply.role }
}

#[server(endpoint = "session/me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    crate::ports::session().await?.user().await
}

#[server(endpoint = "session/login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<SessionUser, AppError> {
    let reply = crate::ports::session().await?.login(username.trim(), &password).await?;
    Ok(land(reply, next))
}

#[server(endpoint = "session/register")]
pub async fn register(
    username: String,
    password: String,
    role: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    use crate::model::Role;
    let role = if role == Role::Streamer.as_str() { Role::Streamer } else { Role::Viewer };
    let reply = crate::ports::session().await?.register(username.trim(), &password, role).await?;
    Ok(land(reply, next))
}

#[server(endpoint = "session/logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::ports::session().await?.logout().await?;
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
