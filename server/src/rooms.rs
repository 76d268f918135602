//! Live rooms and the goods bound to them, read from Postgres (the record).

use app::{
    error::{AppError, Field, Reason},
    ids::{LiveId, SpuId, UserId},
    model::{GoodsCard, NewRoom, Room, RoomSummary},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{PgConnection, PgPool};

use crate::{failure::store_error, text};

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: i64,
    owner_id: i64,
    title: String,
    streamer: String,
    stream_url: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
    goods_version: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    streamer: String,
    cover_url: Option<String>,
    goods_count: i64,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    spu_id: i64,
    title: String,
    cover_url: Option<String>,
    price_cents: i64,
    stock: i64,
    stock_snapshot: i32,
    explaining: bool,
    tracking_code: String,
    position: i32,
    sale_starts_at_ms: Option<i64>,
    per_user_limit: Option<i64>,
}

/// Rooms that are live, newest first, each with the cover of its first product.
pub async fn live_rooms(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<RoomSummary>> {
    summaries(conn, None, limit).await
}

/// The rooms of one streamer, newest first, live or ended.
pub async fn owned_by(conn: &mut PgConnection, owner: UserId) -> sqlx::Result<Vec<RoomSummary>> {
    summaries(conn, Some(owner), 500).await
}

/// Live rooms (`owner` none) or all rooms of `owner`, newest first.
async fn summaries(conn: &mut PgConnection, owner: Option<UserId>, limit: i64) -> sqlx::Result<Vec<RoomSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        r#"
        SELECT r.id, r.title, u.username AS streamer,
               (SELECT s.cover_url FROM live_room_goods g JOIN spus s ON s.id = g.spu_id
                 WHERE g.live_id = r.id ORDER BY g.position LIMIT 1) AS cover_url,
               (SELECT count(*) FROM live_room_goods g WHERE g.live_id = r.id) AS goods_count
          FROM live_rooms r JOIN users u ON u.id = r.owner_id
         WHERE CASE WHEN $1::BIGINT IS NULL THEN r.status = 'live' ELSE r.owner_id = $1 END
         ORDER BY r.created_at DESC, r.id DESC
         LIMIT $2
        "#,
    )
    .bind(owner.map(UserId::get))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(RoomSummary {
                live_id: LiveId::new(r.id).ok()?,
                title: r.title,
                streamer: r.streamer,
                cover_url: r.cover_url,
                goods_count: r.goods_count,
            })
        })
        .collect())
}

/// One room and its goods version, or `None` when it does not exist.
pub async fn find_with_version(conn: &mut PgConnection, live_id: LiveId) -> sqlx::Result<Option<(Room, i64)>> {
    let row: Option<RoomRow> = sqlx::query_as(
        r#"
        SELECT r.id, r.owner_id, r.title, u.username AS streamer, r.stream_url, r.status, r.created_at, r.goods_version
          FROM live_rooms r JOIN users u ON u.id = r.owner_id
         WHERE r.id = $1
        "#,
    )
    .bind(live_id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let version = r.goods_version;
        (
            Room {
                live_id: LiveId::new(r.id).unwrap_or(live_id),
                owner_id: r.owner_id,
                title: r.title,
                streamer: r.streamer,
                stream_url: r.stream_url,
                status: r.status,
                created_at: r.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            },
            version,
        )
    }))
}

/// The goods bound to a room, in display order.
pub async fn goods_cards(conn: &mut PgConnection, live_id: LiveId) -> sqlx::Result<Vec<GoodsCard>> {
    let rows: Vec<CardRow> = sqlx::query_as(
        r#"
        SELECT g.spu_id, s.title, s.cover_url, g.position, g.stock_snapshot, g.tracking_code,
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
         GROUP BY g.live_id, g.spu_id, s.title, s.cover_url, g.position, g.stock_snapshot, g.tracking_code,
                  r.explaining_spu_id
         ORDER BY g.position, g.spu_id
        "#,
    )
    .bind(live_id.get())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(GoodsCard {
                spu_id: SpuId::new(r.spu_id).ok()?,
                title: r.title,
                cover_url: r.cover_url,
                price_cents: r.price_cents,
                stock: r.stock,
                stock_snapshot: i64::from(r.stock_snapshot),
                explaining: r.explaining,
                tracking_code: r.tracking_code,
                position: r.position,
                sale_starts_at_ms: r.sale_starts_at_ms,
                per_user_limit: r.per_user_limit,
            })
        })
        .collect())
}

/// Creates a live room owned by `owner`; it is live from now until ended.
pub async fn create(db: &PgPool, owner: UserId, new: &NewRoom) -> Result<Room, AppError> {
    let title = text::required(Field::Title, &new.title, 100)?;
    let stream_url = text::url(Field::StreamUrl, new.stream_url.as_deref())?;
    if stream_url.as_deref().is_some_and(|u| u.starts_with('/')) {
        return Err(AppError::Invalid(Reason::NotAUrl { field: Field::StreamUrl }));
    }
    let id: i64 =
        sqlx::query_scalar("INSERT INTO live_rooms (owner_id, title, stream_url) VALUES ($1, $2, $3) RETURNING id")
            .bind(owner.get())
            .bind(&title)
            .bind(&stream_url)
            .fetch_one(db)
            .await
            .map_err(store_error)?;
    let live_id = LiveId::new(id).map_err(|_| AppError::Internal)?;
    let mut conn = db.acquire().await.map_err(store_error)?;
    let (room, _) = find_with_version(&mut conn, live_id).await.map_err(store_error)?.ok_or(AppError::Internal)?;
    Ok(room)
}
