//! How the built site goes out: compressed, and cached by browsers as long as
//! its name allows.
//!
//! - The wasm, js and css under `/pkg/` are served by leptos_axum's file
//!   handler, which picks the `.br`/`.gz` sibling `cargo leptos build
//!   --release --precompress` wrote when the browser accepts it. Under a
//!   content-hashed name (`hash-files = true`) they are `immutable` for a
//!   year; under a plain name (a build without hashing) browsers revalidate.
//! - HTML and JSON are compressed on the fly ([`compression`]), brotli or
//!   gzip as `Accept-Encoding` asks, at a fast level (a room page is a few
//!   dozen kilobytes and rendered about once a second under load); event
//!   streams, images and tiny bodies are left alone (tower-http's default
//!   predicate), as is anything already encoded.
//!
//! Every response that may differ by `Accept-Encoding` says so (`Vary`).

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use tower_http::{compression::CompressionLayer, CompressionLevel};

/// A year: what "for good" means to caches.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A plain-named asset may change under its name: revalidate every time.
const REVALIDATE: &str = "no-cache";

/// The compression of dynamic answers.
pub fn compression() -> CompressionLayer {
    CompressionLayer::new().br(true).gzip(true).quality(CompressionLevel::Precise(4))
}

/// Middleware: long-lived cache headers for the built assets under `/pkg/`,
/// and for the vendored scripts under `/vendor/` (their names carry their
/// version, e.g. `hls.light-1.7.4.min.js`).
pub async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let asset = path.strip_prefix("/pkg/").map(str::to_owned);
    let vendored = path.starts_with("/vendor/");
    let mut response = next.run(request).await;
    if !matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) || (asset.is_none() && !vendored) {
        return response;
    }
    let policy = match asset {
        Some(file) if !is_hashed(&file) => REVALIDATE,
        _ => IMMUTABLE,
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Middleware (outside the compression): a compressed body is not the bytes
/// its strong `ETag` named, so the tag becomes weak, as nginx's gzip does;
/// `If-None-Match` compares weakly (`API.md`), so revalidation still hits.
pub async fn weaken_etag(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if headers.contains_key(header::CONTENT_ENCODING) {
        if let Some(strong) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()).filter(|v| v.starts_with('"')) {
            if let Ok(weak) = HeaderValue::from_str(&format!("W/{strong}")) {
                headers.insert(header::ETAG, weak);
            }
        }
    }
    response
}

/// `name.<hash>.ext` as cargo-leptos names hashed files (the hash is
/// URL-safe base64 or hex, at least 16 characters).
fn is_hashed(file: &str) -> bool {
    let mut parts = file.rsplit('.');
    let (Some(_ext), Some(hash), Some(_name)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_count_as_hashed() {
        assert!(is_hashed("live-commerce.Ma3VtbR1xT4pZq0kYw9s.wasm"));
        assert!(is_hashed("live-commerce.8f4c2a9b1d7e6f30.js"));
        assert!(!is_hashed("live-commerce.wasm"));
        assert!(!is_hashed("live-commerce_bg.wasm"));
        assert!(!is_hashed("live-commerce.css"));
        assert!(!is_hashed("a.b.css"));
    }
}
