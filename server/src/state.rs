//! The state every handler and server function can reach.

use std::sync::Arc;

use app::ports::Services;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    config::Links,
    events::{fanout::Fanout, relay::Relay, WorkerControl},
    goods_cache::GoodsCache,
    http::metrics::Metrics,
    keyspace::Redis,
    orders::Orders,
    room_cache::RoomCache,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: PgPool,
    pub redis: Redis,
    pub metrics: Arc<Metrics>,
    /// The ports the UI's server functions call; the JSON API uses the same services.
    pub services: Services,
    pub cache: Arc<RoomCache>,
    pub goods_cache: Arc<GoodsCache>,
    pub orders: Arc<Orders>,
    pub links: Arc<Links>,
    pub fanout: Fanout,
    pub relay: Arc<Relay>,
    pub workers: WorkerControl,
    /// Cancelled at shutdown: background loops and event streams end.
    pub shutdown: CancellationToken,
    /// Mark the session cookie `Secure` (sites served over HTTPS).
    pub cookie_secure: bool,
}
