//! The streamer's dashboard of one room, assembled from its sources: GMV and
//! order counts from the orders (the record), sales and UV per SKU from the
//! view plus what arrived since its refresh ([`super::view`]), the 60-second
//! window from Redis ([`super::window`], from Postgres while Redis is down),
//! the funnel from the tracking beacons and the orders that carried the
//! room's tracking codes, and the room's failure backlogs.

use app::{
    ids::{LiveId, SkuId, UserId},
    live_center::{Dashboard, Funnel, FunnelCounts, OrderCounts, RecentOrder, SkuSales},
    model::{OrderItem, OrderStatus},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

use super::{view, window};
use crate::{error::Result, startup::redis::Redis};

/// How many orders the "just sold" ticker lists.
const RECENT: i64 = 20;

/// The dashboard of `live_id` (ownership is the caller's to check).
pub async fn dashboard(db: &PgPool, redis: &Redis, live_id: LiveId) -> Result<Dashboard> {
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let window = match window::read(db, redis, live_id, now_ms).await {
        Ok(figures) => figures,
        Err(err) if err.is_unreachable() => {
            tracing::warn!(error = %err, %live_id, "Redis unreachable; the order window is read from Postgres");
            window::read_from_record(db, live_id, now_ms).await?
        }
        Err(err) => return Err(err),
    };
    let (sales, view_as_of) = view::sales(db, live_id).await?;
    let totals = totals(db, live_id).await?;
    let funnel = funnel(db, live_id).await?;
    let (sync_failures, dead_letters) = backlogs(db, live_id).await?;
    Ok(Dashboard {
        live_id,
        gmv_cents: totals.gmv,
        paid_gmv_cents: totals.paid_gmv,
        closed_gmv_cents: totals.closed_gmv,
        orders: totals.counts,
        orders_last_60s: window.last_60s,
        orders_per_second: window.per_second,
        sales: sales
            .into_iter()
            .map(|s| SkuSales {
                sku_id: s.sku_id,
                spu_id: s.spu_id,
                title: s.title,
                spec: s.spec,
                total_sales: s.total_sales,
                uv: s.uv,
            })
            .collect(),
        recent_orders: recent_orders(db, live_id).await?,
        funnel,
        sync_failures,
        dead_letters,
        viewers: 0,
        likes: 0,
        as_of: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        view_as_of: view_as_of.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
    })
}

struct Totals {
    gmv: i64,
    paid_gmv: i64,
    closed_gmv: i64,
    counts: OrderCounts,
}

async fn totals(db: &PgPool, live_id: LiveId) -> Result<Totals> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(total_cents), 0)::BIGINT,
                COALESCE(SUM(total_cents) FILTER (WHERE status = 'paid'), 0)::BIGINT,
                COALESCE(SUM(total_cents) FILTER (WHERE status IN ('expired', 'cancelled')), 0)::BIGINT,
                COUNT(*), COUNT(*) FILTER (WHERE status = 'created'), COUNT(*) FILTER (WHERE status = 'paid'),
                COUNT(*) FILTER (WHERE status = 'expired'), COUNT(*) FILTER (WHERE status = 'cancelled')
           FROM orders WHERE live_id = $1",
    )
    .bind(live_id.get())
    .fetch_one(db)
    .await?;
    let (gmv, paid_gmv, closed_gmv, placed, unpaid, paid, expired, cancelled) = row;
    Ok(Totals { gmv, paid_gmv, closed_gmv, counts: OrderCounts { placed, unpaid, paid, expired, cancelled } })
}

/// Clicks and views from the beacons; orders from the order transaction's
/// funnel rows; paid: those orders that were paid; each also counted for the
/// taps made on the replay.
async fn funnel(db: &PgPool, live_id: LiveId) -> Result<Funnel> {
    type Counts = (i64, i64, i64, i64, i64, i64, i64, i64);
    let paid_orders = "SELECT COUNT(*) FROM orders o WHERE o.live_id = $1 AND o.status = 'paid'
                         AND (o.tracking_code IS NOT NULL OR o.trace_id IS NOT NULL)";
    let (clicks, views, orders, paid, replay_clicks, replay_views, replay_orders, replay_paid): Counts =
        sqlx::query_as(&format!(
            "SELECT COUNT(*) FILTER (WHERE event = 'click'), COUNT(*) FILTER (WHERE event = 'view'),
                COUNT(*) FILTER (WHERE event = 'order'), ({paid_orders}),
                COUNT(*) FILTER (WHERE event = 'click' AND source_type = 'replay'),
                COUNT(*) FILTER (WHERE event = 'view' AND source_type = 'replay'),
                COUNT(*) FILTER (WHERE event = 'order' AND source_type = 'replay'),
                ({paid_orders} AND o.source_type = 'replay')
           FROM funnel_events WHERE live_id = $1"
        ))
        .bind(live_id.get())
        .fetch_one(db)
        .await?;
    Ok(Funnel::new(clicks, views, orders, paid).with_replay(FunnelCounts {
        clicks: replay_clicks,
        views: replay_views,
        orders: replay_orders,
        paid: replay_paid,
    }))
}

/// Failed publishes still pending or dead, and dead letters not yet replayed.
async fn backlogs(db: &PgPool, live_id: LiveId) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM live_order_sync_fail_log WHERE live_id = $1 AND state <> 'delivered'),
                (SELECT COUNT(*) FROM parked_events WHERE live_id = $1 AND replayed_at IS NULL)",
    )
    .bind(live_id.get())
    .fetch_one(db)
    .await?)
}

#[derive(sqlx::FromRow)]
struct RecentRow {
    order_sn: String,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    total_cents: i64,
    #[sqlx(try_from = "String")]
    status: OrderStatus,
    created_at: DateTime<Utc>,
    items: sqlx::types::Json<Vec<(i64, i64)>>,
}

async fn recent_orders(db: &PgPool, live_id: LiveId) -> Result<Vec<RecentOrder>> {
    let rows: Vec<RecentRow> = sqlx::query_as(
        "SELECT o.order_sn, o.user_id, o.total_cents, o.status, o.created_at,
                (SELECT json_agg(json_build_array(i.sku_id, i.quantity) ORDER BY i.sku_id)
                   FROM order_items i WHERE i.order_id = o.id) AS items
           FROM orders o WHERE o.live_id = $1 ORDER BY o.id DESC LIMIT $2",
    )
    .bind(live_id.get())
    .bind(RECENT)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let goods_items = r
                .items
                .0
                .into_iter()
                .map(|(sku, quantity)| {
                    Ok(OrderItem { sku_id: SkuId::new(sku).map_err(anyhow::Error::from)?, quantity })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(RecentOrder {
                order_sn: r.order_sn,
                user_id: r.user_id,
                goods_items,
                total_cents: r.total_cents,
                status: r.status,
                time_ms: r.created_at.timestamp_millis(),
            })
        })
        .collect()
}
