//! `/.well-known/apple-app-site-association` and `/.well-known/assetlinks.json`:
//! the app's claim on `/app/*` links, built from configuration. JSON, 200, no
//! redirect, as iOS and Android fetch them.

use axum::{extract::State, http::header, response::IntoResponse, Json};

use crate::{
    links::{apple_app_site_association, asset_links},
    startup::state::AppState,
};

const CACHE_CONTROL: &str = "public, max-age=3600";

pub async fn aasa(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(apple_app_site_association(&state.links)))
}

pub async fn assetlinks(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(asset_links(&state.links)))
}
