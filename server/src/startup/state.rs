//! The state every handler and server function can reach: one entry per
//! service, each the same instance the server functions reach through the
//! `app` ports, so the JSON API and the pages share one code path.

use std::sync::Arc;

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

#[derive(Clone, FromRef)]
pub struct AppState {
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
    #[from_ref(skip)]
    pub page_cache: bool,
    /// Demo data is seeded (`LIVE_DEMO_DATA`): the login page shows the demo accounts.
    pub demo_logins: DemoLogins,
    /// Cancelled at shutdown: background loops and event streams end.
    pub shutdown: CancellationToken,
}
