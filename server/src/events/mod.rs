//! Events: every change leaves Postgres through the transactional outbox
//! ([`outbox`]), the [`relay`] publishes it to a Redis Stream, and consumer
//! groups ([`consumer`]) act on it: at-least-once, so every handler is
//! idempotent. [`room`] is the room goods pipeline built on it, [`fanout`]
//! tells viewers' rooms over server-sent events.
//!
//! The same outbox, relay and consumer carry the order events.

pub mod consumer;
pub mod control;
pub mod fanout;
pub mod outbox;
pub mod relay;
pub mod room;

pub use control::WorkerControl;
pub use outbox::Stream;
