//! `DeepLinkRouter`: from a goods card's jump parameters, the link that opens
//! the goods page in the native app (URL scheme, Universal Link / App Link,
//! Android `intent:`) or on the web, chosen for the platform the tap happens on.
//!
//! Pure Rust, no I/O: the room's WASM runs it on every card tap, and it is
//! unit-tested natively. Only the configured scheme and link host, and paths
//! on this site, are ever produced: parameters are validated and
//! percent-encoded, so no input can turn a link into an open redirect.

#[cfg(feature = "hydrate")]
pub mod browser;
mod encode;
mod platform;
mod router;
mod source;

pub use encode::{encode_component, query_pairs};
pub use platform::{InApp, Platform};
pub use router::{
    valid_trace_id, valid_tracking_code, DeepLinkRouter, JumpParams, LinkConfig, Navigation, MAX_TRACE_ID_LEN,
    SCHEME_FALLBACK_MS,
};
pub use source::SourceType;

#[cfg(test)]
mod tests;
