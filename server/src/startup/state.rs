//! The state every handler and server function can reach: one entry per
//! service, each the same instance the server functions reach through the
//! `app` ports, so the JSON API and the pages share one code path.
//!
//! `AppState` is one `Arc` over the [`Services`]: axum clones the state for
//! every layer and extractor of every request, and cloning two dozen `Arc`s,
//! the Redis handles and the shutdown token (a mutex) each time cost a
//! trivial request most of its time (measured: `/healthz` 13,700 req/s on 2
//! cores, with a fifth of the CPU in `AppState::clone` and its drop).

use std::{ops::Deref, sync::Arc};

use app::session::DemoLogins;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{redis::Redis, worker::Workers};
use crate::{
    auth::{Accounts, Operators},
    cache::{GoodsCache, RoomCache},
    catalog::Catalog,
    console::Console,
    events::{Fanout, Relay},
    http::{EventSlots, TrustedProxies},
    links::{Beacons, Links},
    metrics::Metrics,
    orders::Orders,
    payments::Payments,
};

#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

/// Every service, once per process.
pub struct Services {
    pub leptos: LeptosOptions,
    pub db: PgPool,
    pub redis: Redis,
    pub metrics: Arc<Metrics>,
    pub accounts: Arc<Accounts>,
    pub catalog: Arc<Catalog>,
    pub console: Arc<Console>,
    pub orders: Arc<Orders>,
    /// Payments, for the providers' callbacks (paying goes through `orders`).
    pub payments: Arc<Payments>,
    pub beacons: Arc<Beacons>,
    pub cache: Arc<RoomCache>,
    pub goods_cache: Arc<GoodsCache>,
    pub fanout: Fanout,
    /// The caps on open event streams.
    pub event_slots: Arc<EventSlots>,
    pub relay: Relay,
    pub workers: Workers,
    pub links: Arc<Links>,
    /// Who may run the global operations.
    pub operators: Arc<Operators>,
    /// The proxies whose `X-Forwarded-For` names the client (`LIVE_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Mark the session cookie `Secure` (sites served over HTTPS).
    pub cookie_secure: bool,
    /// Anonymous room pages come from the page cache (`LIVE_PAGE_CACHE`).
    pub page_cache: bool,
    /// Demo data is seeded (`LIVE_DEMO_DATA`): the login page shows the demo accounts.
    pub demo_logins: DemoLogins,
    /// Live video: where streams go in and come out, and nginx's hook secret.
    pub video: crate::video::VideoUrls,
    /// Outgoing HTTP (reading the ingest's playlists).
    pub http_client: reqwest::Client,
    /// Cancelled at shutdown: background loops and event streams end.
    pub shutdown: CancellationToken,
}
