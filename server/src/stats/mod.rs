//! The live center's statistics (S6), fed by the order stream.
//!
//! - [`processor`]: the `LiveOrderStatisticProcessor` consumer group.
//! - `count`: counting one order into `live_order_stream`, once.
//! - `catch_up`: the reconciler that counts committed orders whose event
//!   never arrived (Redis restarted, a consumer died, a dead letter).
//! - `view`: the materialized view `live_goods_sales`, its refresher, and the
//!   sales read that adds what arrived since the refresh.
//! - `window`: the room's sliding window of the last minute's orders.
//! - `dashboard`: the streamer's dashboard, assembled from all of them.

mod catch_up;
mod count;
mod dashboard;
mod processor;
mod view;
mod window;

pub use catch_up::{catch_up, CatchUp};
pub use dashboard::dashboard;
pub use processor::LiveOrderStatisticProcessor;
pub use view::{refresh as refresh_view, Refresher};
