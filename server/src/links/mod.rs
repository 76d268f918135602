//! Deep links and their attribution: the app's link identity ([`config`]),
//! the well-known documents that claim links for the app ([`well_known`]),
//! the tracking code minted per binding ([`tracking_code`]), the
//! click → view → order funnel keyed by it ([`funnel`]), the lenient checks
//! of the analytics fields orders and beacons carry ([`analytics`]), and the
//! click/view beacons ([`beacons`]), and the link's trace id as the
//! OpenTelemetry trace every step of the chain runs in ([`trace_context`]).

mod analytics;
mod beacons;
mod config;
mod funnel;
mod trace_context;
mod tracking_code;
mod well_known;

pub use analytics::{AnalyticsField, AnalyticsSource};
pub use beacons::{BeaconReport, Beacons, IgnoredBeacon};
pub use config::Links;
pub use funnel::{record as record_funnel, record_orders as record_funnel_orders, Beacon, FunnelEvent, Trace};
pub use trace_context::{chain_span, from_traceparent};
pub use tracking_code::TrackingCode;
pub use well_known::{apple_app_site_association, asset_links};
