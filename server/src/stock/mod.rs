//! Stock: the one place it is changed, gated, refilled and reconciled.
//! Postgres holds the record ([`record`]: the conditional decrement an order
//! takes, stock edits, the `stock` events of every room showing a SKU); the
//! Redis gate ([`gate`]) answers sold-out without touching Postgres and is
//! used through [`reserve`], which falls back to Postgres alone while Redis is
//! unreachable and keeps a process-local sold-out flag ([`sold_out`]) so
//! that refusals cost no Redis counter read; [`reconcile`] brings the gate back to the record, after a bind
//! or a stock edit, periodically, and when Redis returns.

mod gate;
mod reconcile;
mod record;
mod reserve;
mod sold_out;

pub use gate::Gate;
pub use reconcile::{reconcile, Drift, Reconciler};
pub use record::{announce, bound_skus, give_back, set, skus_of, take};
pub use reserve::{Hold, Recovery, StockGate};
