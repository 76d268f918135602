//! The goods cards of a room: what is bound, in display order, with price,
//! stock (and the product's stock version it was read at), the explaining mark
//! and the flash-sale summary.

use app::{
    ids::{LiveId, SpuId},
    model::GoodsCard,
};
use sqlx::PgConnection;

use crate::error::Result;

#[derive(sqlx::FromRow)]
struct CardRow {
    #[sqlx(try_from = "i64")]
    spu_id: SpuId,
    title: String,
    cover_url: Option<String>,
    price_cents: i64,
    stock: i64,
    stock_version: i64,
    stock_snapshot: i32,
    explaining: bool,
    tracking_code: String,
    position: i32,
    sale_starts_at_ms: Option<i64>,
    per_user_limit: Option<i64>,
}

/// The goods bound to a room, in display order.
pub async fn goods_cards(conn: &mut PgConnection, live_id: LiveId) -> Result<Vec<GoodsCard>> {
    let rows: Vec<CardRow> = sqlx::query_as(
        r#"
        SELECT g.spu_id, s.title, s.cover_url, s.stock_version, g.position, g.stock_snapshot, g.tracking_code,
               COALESCE(min(k.price_cents), 0)::BIGINT AS price_cents,
               COALESCE(sum(k.stock), 0)::BIGINT AS stock,
               COALESCE(r.explaining_spu_id = g.spu_id, false) AS explaining,
               (SELECT floor(extract(epoch FROM min(ss.starts_at)) * 1000)::BIGINT
                  FROM sku_sales ss JOIN skus k2 ON k2.id = ss.sku_id
                 WHERE ss.live_id = g.live_id AND k2.spu_id = g.spu_id) AS sale_starts_at_ms,
               (SELECT min(ss.per_user_limit)::BIGINT
                  FROM sku_sales ss JOIN skus k2 ON k2.id = ss.sku_id
                 WHERE ss.live_id = g.live_id AND k2.spu_id = g.spu_id) AS per_user_limit
          FROM live_room_goods g
          JOIN spus s ON s.id = g.spu_id
          JOIN live_rooms r ON r.id = g.live_id
          LEFT JOIN skus k ON k.spu_id = g.spu_id
         WHERE g.live_id = $1
         GROUP BY g.live_id, g.spu_id, s.title, s.cover_url, s.stock_version, g.position, g.stock_snapshot, g.tracking_code,
                  r.explaining_spu_id
         ORDER BY g.position, g.spu_id
        "#,
    )
    .bind(live_id.get())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| GoodsCard {
            spu_id: r.spu_id,
            title: r.title,
            cover_url: r.cover_url,
            price_cents: r.price_cents,
            stock: r.stock,
            stock_version: r.stock_version,
            stock_snapshot: i64::from(r.stock_snapshot),
            explaining: r.explaining,
            tracking_code: r.tracking_code,
            position: r.position,
            sale_starts_at_ms: r.sale_starts_at_ms,
            per_user_limit: r.per_user_limit,
        })
        .collect())
}
