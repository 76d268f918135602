//! Orders under flash-sale load.
//!
//! A request is checked at the edge ([`request`]: items, quantities, the
//! idempotency key); what it is checked against (room status, bound SKUs,
//! sale rules) is cached for a second ([`facts`]); [`place`] orchestrates each attempt under a global
//! transaction id ([`ids`]): the `stock` gate holds every item, one Postgres
//! transaction ([`commit`]) decrements stock conditionally (the record has the
//! last word), writes the order, its items and its event, and after the commit
//! the event is published and the hold confirmed. Single-item orders for one
//! SKU arriving together commit in one transaction ([`group`]). Any failure before the
//! commit releases the hold; `compensation` settles attempts that died
//! half-way. [`sales`] holds the flash-sale rules, [`receipt`] reads orders back.
//! After it is placed an order is paid (`payments`), cancelled by its buyer
//! or expired unpaid ([`close`]: its stock returns, once).

mod claim;
mod close;
mod commit;
mod facts;
mod group;
mod ids;
mod place;
mod receipt;
mod request;
mod sales;

pub use close::{expire_due, ChangedOrder, Expirer};
pub use facts::SaleFacts;
pub use ids::{OrderSn, Quantity, Xid};
pub use place::{Orders, OrdersParts};
pub use receipt::{committed, committed_among};
pub use sales::{set as set_sale, shown as sales_shown, SaleRule};
