//! Request metrics: every request counted and timed under its route template;
//! `GET /metrics` serves the whole registry (`crate::metrics`).

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::metrics::Metrics;

/// Middleware: counts and times every request under its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    record(&metrics, &method, &route, response.status(), started);
    response
}

/// Counts one answered request and its latency (also for answers given
/// before the router, which `track` does not see).
pub fn record(metrics: &Metrics, method: &str, route: &str, status: StatusCode, started: Instant) {
    metrics.latency.with_label_values(&[method, route]).observe(started.elapsed().as_secs_f64());
    metrics.requests.with_label_values(&[method, route, status.as_str()]).inc();
}

/// `GET /metrics`
pub async fn serve(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render())
}
