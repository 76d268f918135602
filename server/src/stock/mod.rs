//! Stock: the one place it is changed, gated, refilled and reconciled.
//! Postgres holds the record ([`record`]: the conditional decrement an order
//! takes, stock edits, the `stock` events of every room showing a SKU); the
//! Redis gate ([`gate`]) answers sold-out without touching Postgres and is
//! used through [`reserve`], which falls back to Postgres alone while Redis is
//! unreachable; [`reconcile`] brings the gate back to the record.

mod gate;
mod reconcile;
mod record;
mod reserve;

pub use gate::Gate;
pub use reconcile::{reconcile, reconcile_sku, Drift};
pub use record::{announce, bound_skus, set, take};
pub use reserve::{Hold, Recovery, StockGate};
