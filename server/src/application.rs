//! `Application::build(config)`: everything wired and bound to its port, ready
//! to serve, with its background workers running. `main` and the integration
//! tests start the same thing.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use app::ports::Services;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{rate_limit::RateLimiter, Accounts},
    catalog::CachedCatalog,
    config::Config,
    console::LiveConsole,
    db, demo,
    events::{
        consumer::GroupConsumer,
        fanout::Fanout,
        relay::Relay,
        room::{RoomCacheBuilder, GROUP},
        Stream, WorkerControl,
    },
    goods_cache::GoodsCache,
    http,
    keyspace::Redis,
    orders::{self, faults::Faults, gate::Gate, publish::Publisher, Orders},
    room_cache::RoomCache,
    state::AppState,
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
        let workers = WorkerControl::default();
        let relay = Arc::new(Relay::new(db.clone(), redis.clone()));
        let cache = Arc::new(RoomCache::new(db.clone(), redis.clone()));
        let goods_cache = Arc::new(GoodsCache::new(db.clone(), redis.clone()));
        let faults = Faults::from_env();
        let orders = Arc::new(Orders::new(
            db.clone(),
            Gate::new(redis.clone()),
            Publisher { db: db.clone(), redis: redis.clone(), faults: faults.clone() },
            relay.clone(),
            goods_cache.clone(),
            faults,
            RateLimiter::new(redis.clone(), config.rate_limits),
        ));
        let fanout = Fanout::new(redis.clone(), shutdown.clone());
        let services = Services {
            catalog: Arc::new(CachedCatalog {
                db: db.clone(),
                cache: cache.clone(),
                fanout: fanout.clone(),
                goods: goods_cache.clone(),
                links: config.links.router.clone(),
            }),
            accounts: Arc::new(Accounts {
                db: db.clone(),
                limiter: RateLimiter::new(redis.clone(), config.rate_limits),
                cookie_secure: config.cookie_secure,
            }),
            console: Arc::new(LiveConsole {
                db: db.clone(),
                relay: relay.clone(),
                goods_cache: goods_cache.clone(),
                publisher: orders.publisher.clone(),
                gate: orders.gate.clone(),
            }),
            ordering: orders.clone(),
        };
        let state = AppState {
            leptos: config.leptos.clone(),
            db,
            redis,
            metrics: http::metrics::Metrics::new(),
            services,
            cache,
            goods_cache,
            orders,
            links: Arc::new(config.links.clone()),
            fanout,
            relay,
            workers,
            shutdown,
            cookie_secure: config.cookie_secure,
        };
        start_workers(&state, &config).await?;
        let listener =
            TcpListener::bind(config.site_addr).await.with_context(|| format!("binding {}", config.site_addr))?;
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

    /// Serves until `shutdown` resolves; then ends the workers and event
    /// streams, stops accepting and drains.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let token = self.state.shutdown.clone();
        let signal = async move {
            shutdown.await;
            token.cancel();
        };
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal)
            .await
    }
}

/// The outbox relay and the room-events consumer of this process.
async fn start_workers(state: &AppState, config: &Config) -> anyhow::Result<()> {
    let consumer = GroupConsumer {
        redis: state.redis.clone(),
        stream_key: state.redis.keys.stream(Stream::Room),
        group: state.redis.keys.group(GROUP),
        consumer: format!("{}-{}", std::process::id(), crate::tracking::mint()),
        claim_idle: config.claim_idle,
        handler: Arc::new(RoomCacheBuilder {
            cache: state.cache.clone(),
            goods: state.goods_cache.clone(),
            fanout: state.fanout.clone(),
        }),
    };
    consumer.ensure_group().await?;
    tokio::spawn(consumer.run(state.workers.clone(), state.shutdown.clone()));
    let order_stats = GroupConsumer {
        redis: state.redis.clone(),
        stream_key: state.redis.keys.stream(Stream::Orders),
        group: state.redis.keys.group(orders::stats::GROUP),
        consumer: format!("{}-{}", std::process::id(), crate::tracking::mint()),
        claim_idle: config.claim_idle,
        handler: Arc::new(orders::stats::LiveOrderStatisticProcessor {
            db: state.db.clone(),
            redis: state.redis.clone(),
            fanout: state.fanout.clone(),
        }),
    };
    order_stats.ensure_group().await?;
    tokio::spawn(order_stats.run(state.workers.clone(), state.shutdown.clone()));
    orders::compensation::spawn(
        state.orders.clone(),
        state.redis.clone(),
        state.workers.clone(),
        state.shutdown.clone(),
    );
    tokio::spawn(Relay::clone(&state.relay).run(state.workers.clone(), state.shutdown.clone()));
    Ok(())
}
