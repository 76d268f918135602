//! `GET /live/{live_id}`: the room page a viewer opens from a room's link,
//! rendered as a page of its own (`app::room_shell`): the room with its data
//! in hand, that data carried in the page, and no router around it. The
//! browser hydrates it from the WASM's main chunk alone, without the app's
//! router, async resources and other pages (`frontend`), which is what makes
//! the room's first load small.
//!
//! A malformed id, an unknown room or a failed read goes to the app's own
//! route instead, which renders the friendly 404 or the error banner as it
//! does for a room reached by navigating inside the app.

use std::{future::Future, pin::Pin, sync::Arc};

use app::{ids::LiveId, ports::Catalog as _, room_shell};
use axum::{extract::Request, response::Response};

use super::session::request_token;
use crate::startup::state::AppState;

/// The route, in axum's syntax; the app's own listing of it is left out of
/// the Leptos routes (it is this module's fallback).
pub const PATH: &str = "/live/{live_id}";

/// The whole app's page renderer (`leptos_axum`'s handler), for what this
/// module does not answer.
pub type AppPage = Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// Serves the room page, or hands the request to `app_page`.
pub async fn serve(state: AppState, app_page: AppPage, request: Request) -> Response {
    let live_id = request.uri().path().strip_prefix("/live/").and_then(|raw| raw.parse::<LiveId>().ok());
    let data = match live_id {
        Some(live_id) => match state.catalog.room_view(live_id).await {
            Ok(data) => data,
            Err(error) => {
                tracing::warn!(%live_id, %error, "the room page's room view failed; the app's route answers");
                None
            }
        },
        None => None,
    };
    let Some(data) = data else { return app_page(request).await };
    let signed_in = request_token(request.headers()).is_some();
    let options = state.leptos.clone();
    let render =
        leptos_axum::render_app_async_with_context(|| {}, move || room_shell(options.clone(), data.clone(), signed_in));
    render(request).await
}
