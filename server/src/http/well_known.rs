//! `/.well-known/apple-app-site-association` and `/.well-known/assetlinks.json`:
//! the app's claim on `/app/*` links, built from configuration. JSON, 200, no
//! redirect, as iOS and Android fetch them.

use axum::{extract::State, http::header, response::IntoResponse, Json};
use serde_json::{json, Value};

use crate::state::AppState;

pub fn apple_app_site_association(ios_app_ids: &[String]) -> Value {
    json!({
        "applinks": {
            "apps": [],
            "details": [{
                "appIDs": ios_app_ids,
                "appID": ios_app_ids.first(),
                "paths": ["/app/*"],
                "components": [{ "/": "/app/*", "comment": "goods pages opened from live rooms" }],
            }],
        },
        "webcredentials": { "apps": ios_app_ids },
    })
}

pub fn asset_links(package: &str, fingerprints: &[String]) -> Value {
    json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": { "namespace": "android_app", "package_name": package, "sha256_cert_fingerprints": fingerprints },
    }])
}

pub async fn aasa(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=3600")], Json(apple_app_site_association(&state.links.ios_app_ids)))
}

pub async fn assetlinks(State(state): State<AppState>) -> impl IntoResponse {
    let links = &state.links;
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(asset_links(&links.router.android_package, &links.android_cert_sha256)),
    )
}
