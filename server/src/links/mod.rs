//! Deep links and their attribution: the app's link identity ([`config`]),
//! the well-known documents that claim links for the app ([`well_known`]),
//! the tracking code minted per binding ([`tracking_code`]) and the
//! click → view → order funnel keyed by it ([`funnel`]).

mod config;
mod funnel;
mod tracking_code;
mod well_known;

pub use config::Links;
pub use funnel::{record as record_funnel, Beacon, FunnelEvent, Trace};
pub use tracking_code::TrackingCode;
pub use well_known::{apple_app_site_association, asset_links};
