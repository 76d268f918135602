//! Orders under flash-sale load (S4, S5, S10, E4).
//!
//! Each attempt gets a global transaction id (XID). The [`gate`] reserves every
//! item in Redis atomically (sold-out answers never reach Postgres); one
//! Postgres transaction then decrements stock conditionally (the record has
//! the last word, `CHECK (stock >= 0)` behind it), writes the order, its items
//! and the `OrderCreatedEvent` outbox row; after the commit the event is
//! published ([`publish`]) and the reservation confirmed. Any failure after
//! the reserve releases it; [`compensation`] sweeps attempts that died
//! half-way, retries failed publishes with backoff, and reconciles Redis with
//! Postgres. [`stats`] consumes the order stream idempotently.

pub mod compensation;
pub mod faults;
pub mod gate;
pub mod place;
pub mod publish;
pub mod request;
pub mod sales;
pub mod stats;

pub use place::Orders;
