//! What crowds read, cached whole in the process: the anonymous room page
//! and the goods list. A crowd entering a room is served the HTML one render
//! made, and a crowd polling its cards the JSON one read made, each at the
//! cost of a map lookup and none of the other layers' work.
//!
//! - `GET /live/{id}` only without a session (no session cookie, no bearer
//!   token): a signed-in viewer's parts arrive after hydration. Keyed by the
//!   path and query with everything the HTML may vary by: `Accept-Language`
//!   and the cookies (the locale switch) and `Accept-Encoding` (the body is
//!   kept as sent). Fresh for [`FRESH`]; the page carries the stream position
//!   it was rendered at, so its event stream catches the viewer up on
//!   whatever changed since.
//! - `GET /api/live/goods-list` for anyone (the list is the same for every
//!   caller and language): keyed by the path and query and `Accept-Encoding`.
//!   Fresh for [`LIST_FRESH`], so it stays at most that (plus one read) behind
//!   the Redis cache, which every process's rebuild writes: a change reaches
//!   every process's list within the contract's second.
//!
//! Only a 200 answer of the kind's content type that sets no cookie is kept.
//! After its freshness the first request re-renders (and replaces it) while
//! the others are still served the older answer, so a hot entry is refreshed
//! once per freshness period and no request queues behind a render.
//!
//! Hand-written rather than a generic HTTP cache layer: the session rule,
//! the refresh-by-one-request policy and the bounded memory are the point.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use moka::sync::Cache;

use super::session::token_from_cookie_header;

/// How long a rendered room page is served without re-rendering.
pub const FRESH: Duration = Duration::from_secs(1);
/// How long a goods list is served without reading it again.
pub const LIST_FRESH: Duration = Duration::from_millis(200);
/// An unused page is dropped after this (and memory is bounded by [`MAX_PAGES`]).
const KEPT: Duration = Duration::from_secs(30);
const MAX_PAGES: u64 = 2_000;
/// Larger pages are not kept.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// Says whether an answer came from the cache (`hit`, `stale`) or was rendered (`miss`).
pub const CACHE_HEADER: &str = "x-page-cache";

/// What is cached: the two kinds differ in who may share an answer and how
/// long it stays fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    RoomPage,
    GoodsList,
}

impl Kind {
    fn fresh(self) -> Duration {
        match self {
            Kind::RoomPage => FRESH,
            Kind::GoodsList => LIST_FRESH,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::RoomPage => "text/html",
            Kind::GoodsList => "application/json",
        }
    }
}

struct Page {
    headers: HeaderMap,
    body: Bytes,
    rendered_at: Instant,
    refreshing: AtomicBool,
}

impl Page {
    fn response(&self, verdict: &'static str) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.headers_mut() = self.headers.clone();
        response.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static(verdict));
        response
    }
}

#[derive(Clone)]
pub struct PageCache(Cache<String, Arc<Page>>);

impl Default for PageCache {
    fn default() -> Self {
        Self(Cache::builder().max_capacity(MAX_PAGES).time_to_idle(KEPT).build())
    }
}

/// The request's kind and cache key, if its answer may be cached.
fn key(request: &Request) -> Option<(Kind, String)> {
    if request.method() != Method::GET {
        return None;
    }
    let path = request.uri().path();
    let kind = if is_room_page(path) {
        Kind::RoomPage
    } else if path == "/api/live/goods-list" {
        Kind::GoodsList
    } else {
        return None;
    };
    let headers = request.headers();
    let text = |name: header::HeaderName| {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(";")
    };
    let target = request.uri().path_and_query().map_or("", |p| p.as_str());
    if kind == Kind::GoodsList {
        return Some((kind, format!("{target}\n{}", text(header::ACCEPT_ENCODING))));
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    let cookies = text(header::COOKIE);
    if token_from_cookie_header(&cookies).is_some() {
        return None;
    }
    Some((kind, format!("{target}\n{}\n{cookies}\n{}", text(header::ACCEPT_LANGUAGE), text(header::ACCEPT_ENCODING))))
}

/// `/live/{id}`: the viewer's room.
fn is_room_page(path: &str) -> bool {
    path.strip_prefix("/live/").is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Middleware: serves cached anonymous room pages and goods lists, renders
/// and keeps the others; renders every request when the cache is off (`None`).
pub async fn serve(cache: Option<PageCache>, request: Request, next: Next) -> Response {
    let (Some(cache), Some((kind, key))) = (cache, key(&request)) else { return next.run(request).await };
    if let Some(page) = cache.0.get(&key) {
        if page.rendered_at.elapsed() < kind.fresh() {
            return page.response("hit");
        }
        // One request re-renders; the rest keep being served this page meanwhile.
        if page.refreshing.swap(true, Ordering::AcqRel) {
            return page.response("stale");
        }
        let response = render(&cache, kind, key, request, next).await;
        page.refreshing.store(false, Ordering::Release);
        return response;
    }
    render(&cache, kind, key, request, next).await
}

async fn render(cache: &PageCache, kind: Kind, key: String, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let cacheable = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(kind.content_type()));
    if !cacheable {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            tracing::warn!(error = %err, ?kind, "answer not rendered whole");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = Arc::new(Page {
        headers: parts.headers,
        body,
        rendered_at: Instant::now(),
        refreshing: AtomicBool::new(false),
    });
    cache.0.insert(key, page.clone());
    page.response("miss")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_anonymous_room_pages_and_goods_lists_are_cached() {
        assert_eq!(key(&get("/live/12", &[])).unwrap().0, Kind::RoomPage);
        assert!(key(&get("/live/12?x=1", &[("cookie", "i18n_pref_locale=en")])).is_some());
        assert!(key(&get("/live/12", &[("cookie", "a=b; lc_session=abc")])).is_none());
        assert!(key(&get("/live/12", &[("authorization", "Bearer abc")])).is_none());
        assert!(key(&get("/live/12/x", &[])).is_none());
        assert!(key(&get("/console/live/12", &[])).is_none());
        assert!(key(&get("/", &[])).is_none());
        let post = Request::builder().method("POST").uri("/live/12").body(Body::empty()).unwrap();
        assert!(key(&post).is_none());
        assert_eq!(key(&get("/api/live/goods-list?live_id=3", &[])).unwrap().0, Kind::GoodsList);
        let signed_in = [("cookie", "lc_session=abc"), ("authorization", "Bearer abc")];
        assert!(key(&get("/api/live/goods-list?live_id=3", &signed_in)).is_some(), "the list is the same for everyone");
        assert!(key(&get("/api/live/goods-list/x", &[])).is_none());
        assert!(key(&get("/api/goods/3", &[])).is_none());
    }

    #[test]
    fn a_goods_list_varies_with_room_and_encoding_only() {
        let plain = key(&get("/api/live/goods-list?live_id=1", &[])).unwrap();
        assert_eq!(plain, key(&get("/api/live/goods-list?live_id=1", &[("accept-language", "en")])).unwrap());
        assert_ne!(plain, key(&get("/api/live/goods-list?live_id=1", &[("accept-encoding", "br")])).unwrap());
        assert_ne!(plain, key(&get("/api/live/goods-list?live_id=2", &[])).unwrap());
    }

    #[test]
    fn the_key_varies_with_language_cookies_and_encoding() {
        let plain = key(&get("/live/1", &[])).unwrap();
        assert_ne!(plain, key(&get("/live/1", &[("accept-language", "en")])).unwrap());
        assert_ne!(plain, key(&get("/live/1", &[("cookie", "i18n_pref_locale=en")])).unwrap());
        assert_ne!(plain, key(&get("/live/1", &[("accept-encoding", "br")])).unwrap());
        assert_ne!(plain, key(&get("/live/2", &[])).unwrap());
    }
}
