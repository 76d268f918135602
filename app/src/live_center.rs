//! The live center: what the streamer's dashboard shows of one room
//! (`GET /api/live/{live_id}/dashboard` and the console room page), and the
//! server function that reads it through the `Console` port.
//!
//! Sales and UV per SKU come from the materialized view `live_goods_sales`
//! plus what arrived since its last refresh; the 60-second window from the
//! room's sorted set of recent orders; GMV and the funnel from Postgres.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    ids::{LiveId, SkuId, SpuId, UserId},
    model::{OrderItem, OrderStatus},
};

/// How many seconds the sliding window covers (`orders_per_second` has one number each).
pub const WINDOW_SECONDS: usize = 60;

/// `GET /api/live/{live_id}/dashboard` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub live_id: LiveId,
    /// Every order placed in the room, whatever became of it (as the view counts).
    pub gmv_cents: i64,
    /// Orders paid.
    pub paid_gmv_cents: i64,
    /// Orders that expired unpaid or were cancelled.
    pub closed_gmv_cents: i64,
    /// Orders by status.
    pub orders: OrderCounts,
    /// Orders placed in the last 60 seconds.
    pub orders_last_60s: i64,
    /// Orders per second over the last minute, 60 numbers, oldest first.
    pub orders_per_second: Vec<i64>,
    /// Units sold and distinct buyers per SKU, best-selling first.
    pub sales: Vec<SkuSales>,
    /// The newest orders, newest first.
    pub recent_orders: Vec<RecentOrder>,
    pub funnel: Funnel,
    /// Failed order-event publishes of the room still pending or dead.
    pub sync_failures: i64,
    /// Events of the room no consumer could handle, not yet replayed.
    pub dead_letters: i64,
    /// 0 until the room counts them.
    pub viewers: i64,
    /// 0 until the room counts them.
    pub likes: i64,
    /// RFC 3339 UTC: when the live part was read.
    pub as_of: String,
    /// RFC 3339 UTC: the materialized view's last refresh (`null` before the first).
    pub view_as_of: Option<String>,
}

/// Orders of the room by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderCounts {
    pub placed: i64,
    pub unpaid: i64,
    pub paid: i64,
    pub expired: i64,
    pub cancelled: i64,
}

/// One SKU's row of `live_goods_sales` (with what arrived since the refresh).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkuSales {
    pub sku_id: SkuId,
    pub spu_id: SpuId,
    /// The product's title and the SKU's spec, for the chart's labels.
    pub title: String,
    pub spec: String,
    /// `SUM(order_quantity)`.
    pub total_sales: i64,
    /// `COUNT(DISTINCT user_id)`.
    pub uv: i64,
}

/// An order on the "just sold" ticker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecentOrder {
    pub order_sn: String,
    pub user_id: UserId,
    pub goods_items: Vec<OrderItem>,
    pub total_cents: i64,
    pub status: OrderStatus,
    pub time_ms: i64,
}

/// The room's click → view → order → paid chain (S7), counted from the
/// tracking beacons and the orders carrying the room's tracking codes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Funnel {
    pub clicks: i64,
    pub views: i64,
    pub orders: i64,
    pub paid: i64,
    /// views / clicks (`null` while there are no clicks).
    pub view_rate: Option<f64>,
    /// orders / views.
    pub order_rate: Option<f64>,
    /// paid / orders.
    pub paid_rate: Option<f64>,
    /// The part of each count that came from taps on the room's replay
    /// (`source_type=replay`); the counts above include it.
    #[serde(default)]
    pub replay: FunnelCounts,
}

/// The four steps' counts, without rates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FunnelCounts {
    pub clicks: i64,
    pub views: i64,
    pub orders: i64,
    pub paid: i64,
}

impl Funnel {
    /// The funnel with its rates computed from the counts.
    pub fn new(clicks: i64, views: i64, orders: i64, paid: i64) -> Self {
        let rate = |num: i64, den: i64| (den > 0).then(|| num as f64 / den as f64);
        Self {
            clicks,
            views,
            orders,
            paid,
            view_rate: rate(views, clicks),
            order_rate: rate(orders, views),
            paid_rate: rate(paid, orders),
            replay: FunnelCounts::default(),
        }
    }

    /// The same funnel, with the replay's share of it.
    pub fn with_replay(self, replay: FunnelCounts) -> Self {
        Self { replay, ..self }
    }
}

/// The dashboard of one of the signed-in streamer's rooms.
#[server(endpoint = "console/dashboard")]
pub async fn get_dashboard(live_id: LiveId) -> Result<Dashboard, AppError> {
    let user = crate::session::require_user().await?;
    crate::ports::services()?.console.dashboard(&user, live_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_with_nothing_before_it_is_unknown_not_zero() {
        let funnel = Funnel::new(0, 0, 0, 0);
        assert_eq!(funnel.view_rate, None);
        let funnel = Funnel::new(10, 4, 1, 1);
        assert_eq!(funnel.view_rate, Some(0.4));
        assert_eq!(funnel.order_rate, Some(0.25));
        assert_eq!(funnel.paid_rate, Some(1.0));
    }
}
