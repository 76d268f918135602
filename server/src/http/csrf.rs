//! CSRF defence for cookie sessions: a state-changing request that would be
//! authenticated by the cookie must come from this site, as its `Origin` (or,
//! failing that, `Referer`) shows. Bearer calls carry no ambient credential and
//! pass. Applies to `/api` and to the server functions alike.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{
    error::{ApiError, ErrorCode},
    session,
};

fn origin_host(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok())?;
    let rest = raw.strip_prefix("https://").or_else(|| raw.strip_prefix("http://"))?;
    Some(rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase())
}

/// Whether the request may go on.
pub fn allowed(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    if bearer {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    let has_session_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| session::token_from_cookie_header(c).is_some());
    let has_origin = headers.contains_key(header::ORIGIN) || headers.contains_key(header::REFERER);
    match origin_host(headers) {
        Some(origin) => host.is_some_and(|h| h == origin),
        // "Origin: null" or an unparsable one is never same-site.
        None if has_origin => false,
        // No browser context at all (curl, an app without a token): nothing ambient to abuse.
        None => !has_session_cookie,
    }
}

pub async fn guard(req: Request, next: Next) -> Response {
    if allowed(req.method(), req.headers()) {
        next.run(req).await
    } else {
        ApiError::new(ErrorCode::Forbidden, "cross-site request refused").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_always_pass() {
        assert!(allowed(&Method::GET, &headers(&[("cookie", "lc_session=x"), ("origin", "https://evil.example")])));
    }

    #[test]
    fn a_cookie_write_from_another_site_is_refused() {
        let h = headers(&[("host", "shop.example"), ("cookie", "lc_session=x"), ("origin", "https://evil.example")]);
        assert!(!allowed(&Method::POST, &h));
    }

    #[test]
    fn a_cookie_write_from_this_site_passes() {
        let h = headers(&[("host", "127.0.0.1:3000"), ("cookie", "lc_session=x"), ("origin", "http://127.0.0.1:3000")]);
        assert!(allowed(&Method::POST, &h));
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("cookie", "lc_session=x"),
            ("referer", "http://127.0.0.1:3000/console"),
        ]);
        assert!(allowed(&Method::DELETE, &h));
    }

    #[test]
    fn a_cookie_write_without_origin_or_referer_is_refused() {
        assert!(!allowed(&Method::PUT, &headers(&[("host", "a"), ("cookie", "lc_session=x")])));
    }

    #[test]
    fn a_null_origin_is_refused_even_without_a_cookie() {
        assert!(!allowed(&Method::POST, &headers(&[("host", "a"), ("origin", "null")])));
    }

    #[test]
    fn bearer_calls_and_cookieless_calls_pass() {
        assert!(allowed(&Method::POST, &headers(&[("authorization", "Bearer t"), ("origin", "https://evil.example")])));
        assert!(allowed(&Method::POST, &headers(&[("host", "a")])));
    }

    #[test]
    fn a_look_alike_host_is_not_this_site() {
        let h = headers(&[
            ("host", "shop.example"),
            ("cookie", "lc_session=x"),
            ("origin", "https://shop.example.evil.io"),
        ]);
        assert!(!allowed(&Method::POST, &h));
    }
}
