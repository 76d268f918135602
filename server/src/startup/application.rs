//! `Application::build(config)`: everything wired and bound to its port, ready
//! to serve, with its background workers running. `main` and the integration
//! tests start the same thing.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use app::session::DemoLogins;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{
    config::Config,
    db, demo,
    redis::Redis,
    state::{AppState, Services},
    worker::Workers,
};
use crate::{
    auth::{Accounts, Lockout, Operators, RateLimiter},
    cache::{GoodsCache, RoomCache, RoomCacheBuilder},
    catalog::Catalog,
    compensation::{Retrier, Sweeper},
    console::{Console, ConsoleParts},
    events::{BacklogSampler, Fanout, GroupConsumer, Publisher, Relay},
    faults::Faults,
    http,
    links::Beacons,
    metrics::Metrics,
    orders::{Expirer, Orders, OrdersParts, SaleFacts},
    payments::{shared_secret, Confirmer, Payments, SandboxProvider},
    stats::{CatchUp, LiveOrderStatisticProcessor, Refresher},
    stock::{Reconciler, Recovery, StockGate},
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to Postgres (creating and migrating the database) and Redis,
    /// seeds demo data when asked, starts the workers and binds the address.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect_and_migrate(&config.database_url).await?;
        let redis = Redis::connect(&config.redis_url, &config.redis_key_prefix).await?;
        if config.demo_data {
            demo::seed(&db).await.context("seeding demo data")?;
        }
        let shutdown = CancellationToken::new();
        let workers = Workers::new(shutdown.clone());
        let faults = Faults::from_env();
        let relay = Relay::new(db.clone(), redis.clone());
        let cache = Arc::new(RoomCache::new(db.clone(), redis.clone(), config.video.clone()));
        let goods_cache = Arc::new(GoodsCache::new(db.clone(), redis.clone(), faults.clone()));
        let metrics = Metrics::new();
        let stock = Arc::new(StockGate::new(db.clone(), redis.clone(), metrics.clone()));
        let facts = SaleFacts::new(db.clone());
        let publisher = Publisher::new(db.clone(), redis.clone(), faults.clone());
        let limiter = RateLimiter::new(redis.clone(), config.rate_limits);
        let fanout = Fanout::new(redis.clone(), &workers, shutdown.clone());
        let links = Arc::new(config.links.clone());
        let beacons = Arc::new(Beacons::new(db.clone(), limiter.clone(), metrics.clone()));
        let payment_secret = shared_secret(&db, SANDBOX_SECRET, config.payment_secret.as_deref()).await?;
        let provider = Arc::new(SandboxProvider::new(db.clone(), payment_secret.clone()));
        let payments = Arc::new(Payments::new(db.clone(), provider, relay.clone(), metrics.clone()));
        let state = AppState::new(Services {
            leptos: config.leptos.clone(),
            metrics: metrics.clone(),
            accounts: Arc::new(Accounts::new(
                db.clone(),
                limiter.clone(),
                Lockout::new(redis.clone(), config.rate_limits),
            )),
            catalog: Arc::new(Catalog::new(
                db.clone(),
                cache.clone(),
                fanout.clone(),
                goods_cache.clone(),
                links.clone(),
            )),
            console: Arc::new(Console::new(ConsoleParts {
                db: db.clone(),
                redis: redis.clone(),
                relay: relay.clone(),
                goods_cache: goods_cache.clone(),
                publisher: publisher.clone(),
                stock: stock.clone(),
                limiter: limiter.clone(),
                facts: facts.clone(),
                video: config.video.clone(),
            })),
            orders: Arc::new(Orders::new(OrdersParts {
                db: db.clone(),
                redis: redis.clone(),
                tasks: workers.tasks(),
                stock: stock.clone(),
                publisher: publisher.clone(),
                relay: relay.clone(),
                goods_cache: goods_cache.clone(),
                faults,
                limiter,
                statement_timeout: config.order_statement_timeout,
                pay_timeout: config.pay_timeout,
                metrics: metrics.clone(),
                payments: payments.clone(),
                facts,
            })),
            payments,
            operators: Arc::new(Operators::new(config.operators.clone())),
            beacons,
            cache,
            goods_cache,
            fanout,
            event_slots: http::EventSlots::new(config.sse_max_connections, config.sse_max_per_address),
            relay,
            workers,
            links,
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            cookie_secure: config.cookie_secure,
            page_cache: config.page_cache,
            demo_logins: DemoLogins(config.demo_data),
            video: config.video.clone(),
            http_client: reqwest::Client::new(),
            shutdown,
            db,
            redis,
        });
        let listener =
            TcpListener::bind(config.site_addr).await.with_context(|| format!("binding {}", config.site_addr))?;
        let callback_url = format!("http://{}/api/payments/sandbox/callback", loopback(listener.local_addr()?));
        start_workers(&state, &config, stock, publisher).await?;
        state.workers.spawn(
            Confirmer { db: state.db.clone(), secret: payment_secret, callback_url, client: reqwest::Client::new() },
            None,
        );
        let router = http::router(state.clone());
        Ok(Self { listener, router, state })
    }

    /// The port actually bound (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn db(&self) -> &PgPool {
        &self.state.db
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; then ends the event streams, stops
    /// accepting, drains the connections and waits for every background loop
    /// to finish the step it is in.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let token = self.state.shutdown.clone();
        let signal = async move {
            shutdown.await;
            token.cancel();
        };
        let served = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal)
            .await;
        self.state.workers.drain().await;
        served
    }
}

/// The name the sandbox provider's signing secret is kept under.
const SANDBOX_SECRET: &str = "payment_sandbox";

/// Where this process itself is reached: the bound address, with an
/// unspecified host (`0.0.0.0`, `::`) replaced by loopback.
fn loopback(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        ip if !ip.is_unspecified() => bound,
        std::net::IpAddr::V4(_) => SocketAddr::from(([127, 0, 0, 1], bound.port())),
        std::net::IpAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, bound.port())),
    }
}

/// The background loops of this process: the two consumer groups, the outbox
/// relay, the fail-log retrier, the sweeper, the stock reconciler, the gate's
/// recovery, the statistics' catch-up and view refresher, the expirer of
/// unpaid orders and the backlog sampler (the fan-out's shared reader starts
/// with the fan-out; the sandbox payment confirmer once the port is bound).
async fn start_workers(
    state: &AppState,
    config: &Config,
    stock: Arc<StockGate>,
    publisher: Publisher,
) -> anyhow::Result<()> {
    let (db, redis, workers) = (&state.db, &state.redis, &state.workers);
    let builder =
        RoomCacheBuilder { cache: state.cache.clone(), goods: state.goods_cache.clone(), fanout: state.fanout.clone() };
    GroupConsumer::start(workers, db.clone(), redis.clone(), config.claim_idle, builder).await?;
    let stats = LiveOrderStatisticProcessor {
        db: db.clone(),
        redis: redis.clone(),
        fanout: state.fanout.clone(),
        faults: state.orders.faults.clone(),
        counted: Default::default(),
    };
    GroupConsumer::start(workers, db.clone(), redis.clone(), config.claim_idle, stats).await?;
    workers.spawn(state.relay.clone(), Some(state.relay.wake()));
    workers.spawn(Retrier::new(db.clone(), redis.clone(), publisher), None);
    workers.spawn(Sweeper { db: db.clone(), gate: stock.gate().clone() }, None);
    workers.spawn(Reconciler { db: db.clone(), stock: stock.clone(), every: config.reconcile_every }, None);
    workers.spawn(Recovery(stock), None);
    let metrics = state.metrics.clone();
    workers.spawn(
        CatchUp { db: db.clone(), redis: redis.clone(), grace: config.stats_grace, metrics: metrics.clone() },
        None,
    );
    workers.spawn(Refresher { db: db.clone(), every: config.view_refresh_every, metrics: metrics.clone() }, None);
    workers.spawn(Expirer { db: db.clone(), returns: state.orders.returns(), metrics: metrics.clone() }, None);
    workers.spawn(BacklogSampler { db: db.clone(), redis: redis.clone(), metrics }, None);
    workers.spawn(state.accounts.revocation_listener(), None);
    Ok(())
}
