//! The materialized view `live_goods_sales` (S6): per room and SKU,
//! `SUM(order_quantity) AS total_sales` and `COUNT(DISTINCT user_id) AS uv` of
//! `live_order_stream`. It reads the per-(room, SKU, buyer) rollup that the
//! stream's inserts keep, so a refresh costs what the rollup holds, not the
//! whole stream's history; it is refreshed `CONCURRENTLY` (readers never
//! wait) by one process at a time across all of them ([`Refresher`]).
//!
//! Each refresh records its watermark: the last stream row its snapshot saw.
//! Readers add what arrived after it ([`sales`]): units from the stream rows
//! past the watermark, buyers from the rollup rows first made past it, so a
//! buyer counted in the view is never counted again.

use std::time::{Duration, Instant};

use app::ids::{LiveId, SkuId, SpuId};
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

use super::count::STREAM_LOCK;
use crate::{
    error::Result,
    metrics::Metrics,
    startup::worker::{Step, Worker},
};

/// Held by the process refreshing the view, so only one refreshes at a time.
const REFRESHER_LOCK: i64 = 0x6c69_7665_5f76_6965; // "live_vie"
const VIEW: &str = "live_goods_sales";

/// One SKU's sales: the view's row plus what arrived since its refresh.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SkuSalesRow {
    #[sqlx(try_from = "i64")]
    pub sku_id: SkuId,
    #[sqlx(try_from = "i64")]
    pub spu_id: SpuId,
    pub title: String,
    pub spec: String,
    pub total_sales: i64,
    pub uv: i64,
}

/// The room's sales per SKU (best-selling first) and the view's last refresh,
/// read in one statement so both come from the same moment.
pub async fn sales(db: &sqlx::PgPool, live_id: LiveId) -> Result<(Vec<SkuSalesRow>, Option<DateTime<Utc>>)> {
    let rows: Vec<(i64, i64, String, String, i64, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
        "WITH mark AS (SELECT watermark, refreshed_at FROM view_refreshes WHERE view_name = 'live_goods_sales'),
              w AS (SELECT COALESCE((SELECT watermark FROM mark), 0) AS seq),
              parts AS (
                SELECT sku_id, total_sales, uv FROM live_goods_sales WHERE live_id = $1
                UNION ALL
                SELECT s.sku_id, SUM(s.order_quantity)::BIGINT, 0 FROM live_order_stream s, w
                 WHERE s.live_id = $1 AND s.seq > w.seq GROUP BY s.sku_id
                UNION ALL
                SELECT r.sku_id, 0, COUNT(*)::BIGINT FROM live_goods_sales_rollup r, w
                 WHERE r.live_id = $1 AND r.first_seq > w.seq GROUP BY r.sku_id)
         SELECT p.sku_id, k.spu_id, s.title, k.spec, SUM(p.total_sales)::BIGINT AS total_sales,
                SUM(p.uv)::BIGINT AS uv, (SELECT refreshed_at FROM mark)
           FROM parts p JOIN skus k ON k.id = p.sku_id JOIN spus s ON s.id = k.spu_id
          GROUP BY p.sku_id, k.spu_id, s.title, k.spec
          ORDER BY total_sales DESC, p.sku_id",
    )
    .bind(live_id.get())
    .fetch_all(db)
    .await?;
    let refreshed_at = match rows.first() {
        Some(row) => row.6,
        None => last_refresh(db).await?,
    };
    let sales = rows
        .into_iter()
        .map(|(sku, spu, title, spec, total_sales, uv, _)| {
            Ok(SkuSalesRow {
                sku_id: SkuId::new(sku).map_err(anyhow::Error::from)?,
                spu_id: SpuId::new(spu).map_err(anyhow::Error::from)?,
                title,
                spec,
                total_sales,
                uv,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((sales, refreshed_at))
}

async fn last_refresh(db: &sqlx::PgPool) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar("SELECT refreshed_at FROM view_refreshes WHERE view_name = $1")
        .bind(VIEW)
        .fetch_optional(db)
        .await?)
}

/// Refreshes the view unless another process is refreshing it or it was
/// refreshed less than `every` ago; returns how long the refresh took.
///
/// Runs on a connection taken out of the pool and closed afterwards: it holds
/// session-level advisory locks, and closing the connection releases any that
/// an error left held.
pub async fn refresh(db: &sqlx::PgPool, every: Duration) -> Result<Option<Duration>> {
    let mut conn = db.acquire().await?.detach();
    let refreshed = refresh_on(&mut conn, every).await;
    // Closing releases any lock an error left held.
    let _ = conn.close().await;
    refreshed
}

async fn refresh_on(conn: &mut PgConnection, every: Duration) -> Result<Option<Duration>> {
    let mine: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(REFRESHER_LOCK).fetch_one(&mut *conn).await?;
    if !mine {
        return Ok(None);
    }
    let due: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM view_refreshes WHERE view_name = $1
                             AND refreshed_at > now() - make_interval(secs => $2::DOUBLE PRECISION / 1000))",
    )
    .bind(VIEW)
    .bind(every.as_millis() as i64)
    .fetch_one(&mut *conn)
    .await?;
    if !due {
        return Ok(None);
    }
    let started = Instant::now();
    // Wait for the inserts in flight, hold new ones off for the instant the
    // snapshot is taken, then let them go while the view is computed.
    sqlx::query("SELECT pg_advisory_lock($1)").bind(STREAM_LOCK).execute(&mut *conn).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
    let watermark: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM live_order_stream").fetch_one(&mut *tx).await?;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(STREAM_LOCK).execute(&mut *tx).await?;
    // In a repeatable-read transaction the refresh reads the snapshot taken above.
    sqlx::query("REFRESH MATERIALIZED VIEW CONCURRENTLY live_goods_sales").execute(&mut *tx).await?;
    let took = started.elapsed();
    sqlx::query(
        "INSERT INTO view_refreshes (view_name, refreshed_at, watermark, duration_ms) VALUES ($1, now(), $2, $3)
         ON CONFLICT (view_name) DO UPDATE SET refreshed_at = now(), watermark = $2, duration_ms = $3",
    )
    .bind(VIEW)
    .bind(watermark)
    .bind(took.as_millis() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(REFRESHER_LOCK).execute(&mut *conn).await?;
    tracing::info!(watermark, took_ms = took.as_millis() as u64, "refreshed live_goods_sales");
    Ok(Some(took))
}

/// The view's refresher in this process: every process runs one, and at most
/// one refreshes each period (`LIVE_VIEW_REFRESH_S`, 5 minutes by default).
pub struct Refresher {
    pub db: sqlx::PgPool,
    pub every: Duration,
    pub metrics: std::sync::Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for Refresher {
    fn name(&self) -> &'static str {
        "view-refresher"
    }

    fn period(&self) -> Duration {
        // Look more often than the period, so a process that died holding the
        // turn is replaced soon; the refresh itself keeps to the period.
        (self.every / 5).clamp(Duration::from_millis(200), Duration::from_secs(30))
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        if let Some(took) = refresh(&self.db, self.every).await? {
            self.metrics.view_refresh_seconds.observe(took.as_secs_f64());
        }
        Ok(Step::Idle)
    }
}
