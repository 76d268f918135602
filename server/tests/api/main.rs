//! Integration tests: the real application on port 0, against real Postgres
//! and Redis, one fresh database and Redis key prefix per test.

mod helpers;
mod proxy;

mod auth;
mod authz;
mod beacons;
mod bindings;
mod delivery;
mod events;
mod fanout;
#[cfg(feature = "faults")]
mod faults;
mod flash_sale;
#[cfg(feature = "faults")]
mod goods_cache;
mod goods_detail;
mod goods_list;
mod hashing;
mod health;
mod idempotency;
mod live_center;
mod live_video;
mod lockout;
mod nginx;
mod operations;
mod order_analytics;
mod orders;
mod pages;
mod payments;
mod pipeline;
mod processes;
mod server_fns;
mod sse;
mod stock;
mod tracing_chain;
