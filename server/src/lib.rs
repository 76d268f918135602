//! The live-room commerce server: the axum application, the public JSON API
//! and the domain over Postgres (the record) and Redis (gate, cache,
//! transport). Everything in Redis can be rebuilt from Postgres.
//!
//! Where things live, one folder per concept:
//!
//! - [`startup`]: configuration, the Postgres pool, the Redis client and every
//!   key name, demo data, logging, the background-loop helper, the shared
//!   state, `Application::build`, and the command-line tasks.
//! - `error`: the one server error type; `?` everywhere, mapped to the public
//!   `AppError` and the JSON error body once, at the edge.
//! - `auth`: accounts, passwords (hashed a bounded number at a time),
//!   sessions, anti-abuse limits, the per-(account, address) sign-in lockout.
//! - `rooms`: live rooms, the goods cards they show, binding goods, ownership.
//! - `goods`: products and SKUs, and the checks their input passes.
//! - `stock`: the one place stock is changed, gated in Redis (with the
//!   Postgres-only path while Redis is down), refilled and reconciled.
//! - `orders`: requests, placing (orchestration), the order transaction,
//!   receipts, flash-sale rules, order ids and quantities, and closing an
//!   unpaid order (cancelled, or expired by the expirer) with its stock returned.
//! - `compensation`: the fail log of unpublished order events and its
//!   retries, and the sweeper of attempts that died half-way.
//! - `events`: outbox, relay, the stream entry encoding, consumer groups,
//!   parked events, immediate publishing, fan-out to viewers (one shared
//!   stream reader per process, broadcast in-process to each room's viewers).
//! - `stats`: the live center's statistics: the order-statistics processor,
//!   counting each order once, the catch-up of orders whose event never
//!   arrived, the `live_goods_sales` view and its refresher, the 60-second
//!   window, and the streamer's dashboard.
//! - `payments`: paying an order through a provider (the local sandbox), its
//!   signed callbacks, and the secret every process shares.
//! - `links`: deep-link configuration, well-known documents, tracking codes,
//!   the click → view → order funnel, its beacons, and the lenient checks of
//!   the analytics fields (tracking code, trace id) orders and beacons carry.
//! - `cache`: the room and goods caches, their rebuilder, single-flight locks.
//! - `catalog`, `console`: the viewer's and the streamer's services behind
//!   the UI's ports (and the JSON API).
//! - `http`: the router and thin handlers, the error body, the session layer,
//!   the client's address behind trusted proxies ([`ClientAddr`]), CSRF,
//!   probes, metrics, OpenAPI, server-sent events (capped per process and per
//!   client address).
//! - `metrics`: the Prometheus registry: request metrics and the domain's counters.
//! - `faults`: fault points for the failure tests (the `faults` feature).

mod auth;
mod cache;
mod catalog;
mod compensation;
mod console;
mod error;
mod events;
mod faults;
mod goods;
mod http;
mod links;
mod metrics;
mod orders;
mod payments;
mod rooms;
mod stats;
mod stock;
mod video;

pub mod startup;

pub use cache::ROOM_CACHE_GROUP;
pub use compensation::sweep;
pub use error::{Error, Result};
pub use events::Stream;
#[cfg(feature = "faults")]
pub use faults::Fault;
pub use http::ClientAddr;
pub use orders::expire_due;
pub use startup::{application::Application, config::Config, state::AppState};
pub use stats::{catch_up, refresh_view};
pub use stock::{reconcile, Drift, Gate};
