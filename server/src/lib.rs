//! The live-room commerce server: the axum application, the public JSON API
//! and the domain over Postgres (the record) and Redis (gate, cache, transport).
//!
//! Layout:
//! - [`config`], [`application`]: configuration; `Application::build`, used by `main` and tests.
//! - [`http`]: routes, extractors, the public error shape, CSRF, probes, metrics, OpenAPI, SSE.
//! - [`auth`]: accounts, sessions, rate limits.
//! - [`rooms`], [`goods`], [`bindings`]: the record of rooms, products and what a room shows.
//! - [`events`]: outbox → relay → Redis Streams → consumer groups; fan-out to viewers.
//! - [`room_cache`], [`catalog`], [`console`]: the cache viewers read; the UI's ports.
//! - [`db`], [`keyspace`], [`failure`], [`text`], [`tracking`], [`demo`]: plumbing and seed data.

pub mod application;
pub mod auth;
pub mod bindings;
pub mod catalog;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod events;
pub mod failure;
pub mod funnel;
pub mod goods;
pub mod goods_cache;
pub mod http;
pub mod keyed_lock;
pub mod keyspace;
pub mod orders;
pub mod room_cache;
pub mod rooms;
pub mod state;
pub mod telemetry;
pub mod text;
pub mod tracking;

pub use application::Application;
pub use config::Config;
