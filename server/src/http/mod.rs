//! The HTTP surface: the `/api` JSON contract (with its OpenAPI document), the
//! operational probes and metrics, and the Leptos pages and server functions.
//! Handlers are thin: they parse the request, call the same service the
//! server functions reach through the `app` ports, and map errors once
//! ([`error`]). Each request's session and client address are resolved once
//! ([`session`], [`client_addr`]). Open event streams are capped per process
//! and per client address ([`event_slots`]). Anonymous room pages and goods
//! lists are served from a per-process cache ([`page_cache`]), which keeps them
//! as compressed; what goes out is compressed and cached as [`assets`] says.

mod assets;
mod auth;
mod client_addr;
mod csrf;
mod error;
mod event_slots;
mod events;
mod extract;
mod goods;
mod health;
mod live;
mod metrics;
mod openapi;
mod ops;
mod orders;
mod page_cache;
mod payments;
mod preload;
mod room_page;
mod rooms;
mod server_fns;
mod session;
mod track;
mod video;
mod well_known;

pub use client_addr::{ClientAddr, TrustedProxies};
pub use event_slots::EventSlots;

use std::sync::Arc;

use app::{ports::Services, shell, App};
use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::Method,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get},
    Json, Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::startup::state::AppState;
use error::ApiError;

/// Bodies of `/api` calls are small JSON documents.
const MAX_BODY: usize = 64 * 1024;

/// A room as viewers read it, from the goods cache (rebuilt on a miss);
/// 404 `not_found` for an unknown room.
async fn cached_room(state: &AppState, live_id: app::ids::LiveId) -> Result<crate::cache::CachedRoom, ApiError> {
    state.cache.get(live_id).await?.ok_or_else(|| ApiError::not_found("no such live room"))
}

async fn api_not_found() -> impl IntoResponse {
    ApiError::not_found("no such API path")
}

/// The `/api` contract; OpenAPI paths carry the `/api` prefix as callers use them.
fn api_router() -> Router<AppState> {
    let api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(live::goods_list))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(rooms::create_room))
        .routes(routes!(rooms::get_room))
        .routes(routes!(rooms::bind))
        .routes(routes!(rooms::unbind))
        .routes(routes!(rooms::reorder))
        .routes(routes!(rooms::explain))
        .routes(routes!(rooms::end_room))
        .routes(routes!(events::room_events))
        .routes(routes!(goods::create))
        .routes(routes!(goods::set_stock))
        .routes(routes!(goods::detail))
        .routes(routes!(track::track))
        .routes(routes!(ops::rebuild_cache))
        .routes(routes!(ops::sync_failures))
        .routes(routes!(ops::retry_sync_failure))
        .routes(routes!(ops::dead_letters))
        .routes(routes!(ops::retry_dead_letters))
        .routes(routes!(live::dashboard))
        .routes(routes!(orders::place, orders::mine))
        .routes(routes!(orders::get))
        .routes(routes!(orders::pay))
        .routes(routes!(orders::cancel))
        .routes(routes!(payments::sandbox_callback))
        .routes(routes!(orders::set_sale))
        .routes(routes!(video::stream_key))
        .routes(routes!(video::on_publish))
        .routes(routes!(video::on_publish_done))
        .routes(routes!(video::on_update))
        .routes(routes!(video::replay))
        .routes(routes!(video::timeline))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    let (router, mut document) = OpenApiRouter::new().nest("/api", api).split_for_parts();
    openapi::document_errors(&mut document);
    router
        .route("/api/openapi.json", get(move || async move { Json(document) }))
        // Every other `/api` path answers the contract's JSON 404, never the HTML one.
        .route("/api", any(api_not_found))
        .route("/api/", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
}

/// Each request's span, in the caller's trace when it sent a W3C `traceparent`.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {}", request.method(), request.uri().path()),
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
    );
    if let Some(parent) =
        request.headers().get("traceparent").and_then(|v| v.to_str().ok()).and_then(crate::links::from_traceparent)
    {
        let _ = span.set_parent(parent);
    }
    span
}

/// The whole application router over `state`.
pub fn router(state: AppState) -> Router {
    // The room page has a handler of its own (`room_page`), which hands
    // what it does not answer to the app's renderer.
    let pages_of_app = generate_route_list(App).into_iter().filter(|page| page.path() != room_page::PATH).collect();
    // The same service instances the JSON handlers call, as the UI's ports.
    let services =
        Services { catalog: state.catalog.clone(), console: state.console.clone(), ordering: state.orders.clone() };
    let demo = state.demo_logins;
    let provide_services = move || {
        provide_context(services.clone());
        provide_context(demo);
        preload::capture();
    };
    let leptos = state.leptos.clone();
    let bundle = Arc::new(preload::Bundle::load(&leptos));
    let app_page: room_page::AppPage = {
        let leptos = leptos.clone();
        Arc::new(leptos_axum::render_app_async_with_context(provide_services.clone(), move || shell(leptos.clone())))
    };
    let pages = state.page_cache.then(page_cache::PageCache::default);
    let routes = Router::new()
        .merge(api_router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        .route("/.well-known/apple-app-site-association", get(well_known::aasa))
        .route("/.well-known/assetlinks.json", get(well_known::assetlinks))
        .route(
            room_page::PATH,
            get(move |State(state): State<AppState>, request: Request| {
                room_page::serve(state, app_page.clone(), request)
            }),
        )
        .leptos_routes_with_context(&state, pages_of_app, provide_services.clone(), move || shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_services, shell))
        .layer(middleware::from_fn(server_fns::error_status))
        .layer(middleware::from_fn_with_state(state.clone(), session::attach))
        .layer(middleware::from_fn(csrf::guard))
        // Needs the matched route, so it wraps each route.
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .with_state(state.clone());
    // The rest wrap the whole router once rather than each route (a layer
    // on every route is cloned with it on every request). Outermost: a
    // cached room page or goods list, or a sold-out SKU's order, costs no
    // routing and no other layer's work.
    let service = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(Crowd { state, pages }, crowd))
        .layer(middleware::from_fn(assets::weaken_etag))
        .layer(assets::compression())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(middleware::from_fn(assets::cache_headers))
        .layer(middleware::from_fn_with_state(bundle, preload::links))
        .service(routes);
    Router::new().fallback_service(service)
}

#[derive(Clone)]
struct Crowd {
    state: AppState,
    pages: Option<page_cache::PageCache>,
}

/// What a crowd sends most, answered before the other layers: room pages
/// and goods lists from the page cache, orders for a SKU that sold out.
async fn crowd(State(crowd): State<Crowd>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST && request.uri().path() == "/api/orders" {
        orders::refuse_sold_out(&crowd.state, request, next).await
    } else {
        page_cache::serve(crowd.pages, request, next).await
    }
}
