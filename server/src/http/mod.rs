//! The HTTP surface: the `/api` JSON contract (with its OpenAPI document), the
//! operational probes and metrics, and the Leptos pages and server functions.

pub mod auth;
pub mod csrf;
pub mod error;
pub mod events;
pub mod extract;
pub mod goods;
pub mod health;
pub mod live;
pub mod metrics;
pub mod ops;
pub mod orders;
pub mod rooms;
pub mod server_fns;
pub mod track;
pub mod well_known;

use app::{error::AppError, shell, App};
use axum::{
    extract::DefaultBodyLimit,
    middleware,
    response::IntoResponse,
    routing::{any, get},
    Json, Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;
use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Live-room commerce API", description = "The public HTTP contract of the live-room commerce platform."),
    tags(
        (name = "viewer", description = "What a viewer's room and apps read"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "streamer", description = "Rooms and goods; only the owner may change them"),
        (name = "orders", description = "Placing and reading orders"),
        (name = "operations", description = "Rebuilding what Redis holds from Postgres"),
    )
)]
struct ApiDoc;

/// The public code of an error from a port.
pub fn error_code(err: &AppError) -> error::ErrorCode {
    use error::ErrorCode as C;
    match err {
        AppError::NotFound(_) => C::NotFound,
        AppError::Unauthorized => C::Unauthorized,
        AppError::Forbidden(_) => C::Forbidden,
        AppError::BadRequest(_) => C::BadRequest,
        AppError::Invalid(_) => C::Validation,
        AppError::Conflict(_) => C::Conflict,
        AppError::SoldOut => C::SoldOut,
        AppError::PurchaseLimit => C::PurchaseLimit,
        AppError::SaleNotStarted => C::SaleNotStarted,
        AppError::RateLimited => C::RateLimited,
        AppError::Unavailable => C::Unavailable,
        AppError::Internal | AppError::Transport(_) => C::Internal,
    }
}

/// Maps an error from a port to the public contract.
pub fn from_app_error(err: AppError) -> ApiError {
    let code = error_code(&err);
    match err {
        AppError::NotFound(msg) | AppError::Forbidden(msg) | AppError::BadRequest(msg) => ApiError::new(code, msg),
        AppError::Invalid(reason) | AppError::Conflict(reason) => ApiError::new(code, reason.to_string()),
        AppError::Unauthorized => ApiError::new(code, "sign in first"),
        AppError::SoldOut => ApiError::new(code, "sold out: not enough stock for every item"),
        AppError::PurchaseLimit => ApiError::new(code, "this order goes over the per-user purchase limit"),
        AppError::SaleNotStarted => ApiError::new(code, "the flash sale has not started yet"),
        AppError::RateLimited => ApiError::new(code, "too many attempts; try again in a minute"),
        AppError::Unavailable => ApiError::unavailable(),
        AppError::Internal | AppError::Transport(_) => ApiError::internal(anyhow::anyhow!("{err}")),
    }
}

/// Bodies of `/api` calls are small JSON documents.
const MAX_BODY: usize = 64 * 1024;

/// A room as viewers read it, from the goods cache (rebuilt on a miss);
/// 404 `not_found` for an unknown room.
pub async fn cached_room(
    state: &AppState,
    live_id: app::ids::LiveId,
) -> Result<crate::room_cache::CachedRoom, ApiError> {
    state
        .cache
        .get(live_id)
        .await
        .map_err(|e| from_app_error(crate::failure::store_error(e)))?
        .ok_or_else(|| ApiError::not_found("no such live room"))
}

async fn api_not_found() -> impl IntoResponse {
    ApiError::not_found("no such API path")
}

/// The `/api` contract; OpenAPI paths carry the `/api` prefix as callers use them.
fn api_router() -> Router<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
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
        .routes(routes!(events::room_events))
        .routes(routes!(goods::create))
        .routes(routes!(goods::set_stock))
        .routes(routes!(goods::detail))
        .routes(routes!(track::track))
        .routes(routes!(ops::rebuild_cache))
        .routes(routes!(ops::sync_failures))
        .routes(routes!(ops::retry_sync_failure))
        .routes(routes!(orders::place))
        .routes(routes!(orders::get))
        .routes(routes!(orders::set_sale))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    let (router, openapi) = OpenApiRouter::new().nest("/api", api).split_for_parts();
    router
        .route("/api/openapi.json", get(move || async move { Json(openapi) }))
        // Every other `/api` path answers the contract's JSON 404, never the HTML one.
        .route("/api", any(api_not_found))
        .route("/api/", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
}

/// The whole application router over `state`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let provide_services = move || provide_context(services.clone());
    let leptos = state.leptos.clone();
    Router::new()
        .merge(api_router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        .route("/.well-known/apple-app-site-association", get(well_known::aasa))
        .route("/.well-known/assetlinks.json", get(well_known::assetlinks))
        .leptos_routes_with_context(&state, routes, provide_services.clone(), move || shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_services, shell))
        .layer(middleware::from_fn(server_fns::error_status))
        .layer(middleware::from_fn(csrf::guard))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
