//! Flash-sale rules per SKU in a room (E4): a start time and a per-user
//! purchase limit, none unless the room's owner sets them.

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId, UserId},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::failure::store_error;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SaleRule {
    pub live_id: LiveId,
    pub sku_id: SkuId,
    /// RFC 3339 UTC; ordering before it answers `sale_not_started`.
    pub starts_at: Option<DateTime<Utc>>,
    /// Most a user may buy of this SKU in this room, over all their orders.
    pub per_user_limit: Option<i32>,
}

/// Sets (or clears, with both `None`) the rule; owner only, SKU bound to the room.
pub async fn set(
    db: &PgPool,
    user: UserId,
    live_id: LiveId,
    sku_id: SkuId,
    starts_at: Option<DateTime<Utc>>,
    per_user_limit: Option<i64>,
) -> Result<SaleRule, AppError> {
    if per_user_limit.is_some_and(|l| !(1..=9999).contains(&l)) {
        return Err(AppError::Invalid(Reason::LimitRange));
    }
    let mut tx = db.begin().await.map_err(store_error)?;
    crate::bindings::lock_owned_room(&mut tx, live_id, user).await?;
    let bound: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM skus k JOIN live_room_goods g ON g.spu_id = k.spu_id WHERE k.id = $1 AND g.live_id = $2)",
    )
    .bind(sku_id.get())
    .bind(live_id.get())
    .fetch_one(&mut *tx)
    .await
    .map_err(store_error)?;
    if !bound {
        return Err(AppError::not_found("SKU bound to this room"));
    }
    sqlx::query(
        "INSERT INTO sku_sales (live_id, sku_id, starts_at, per_user_limit) VALUES ($1, $2, $3, $4)
         ON CONFLICT (live_id, sku_id) DO UPDATE SET starts_at = $3, per_user_limit = $4, updated_at = now()",
    )
    .bind(live_id.get())
    .bind(sku_id.get())
    .bind(starts_at)
    .bind(per_user_limit.map(|l| l as i32))
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    let payload = serde_json::json!({
        "live_id": live_id, "sku_id": sku_id,
        "starts_at_ms": starts_at.map(|t| t.timestamp_millis()), "per_user_limit": per_user_limit,
    });
    crate::events::outbox::enqueue(&mut tx, crate::events::Stream::Room, "sale", live_id, &payload)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    Ok(SaleRule { live_id, sku_id, starts_at, per_user_limit: per_user_limit.map(|l| l as i32) })
}

/// What shoppers see of the rules of a product's SKUs in a room.
pub async fn shown(
    db: &PgPool,
    live_id: LiveId,
    spu_id: app::ids::SpuId,
) -> Result<Vec<app::model::SaleInfo>, AppError> {
    let rows: Vec<(i64, Option<DateTime<Utc>>, Option<i32>)> = sqlx::query_as(
        "SELECT ss.sku_id, ss.starts_at, ss.per_user_limit FROM sku_sales ss JOIN skus k ON k.id = ss.sku_id
          WHERE ss.live_id = $1 AND k.spu_id = $2",
    )
    .bind(live_id.get())
    .bind(spu_id.get())
    .fetch_all(db)
    .await
    .map_err(store_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|(sku, starts_at, limit)| {
            Some(app::model::SaleInfo {
                sku_id: SkuId::new(sku).ok()?,
                starts_at_ms: starts_at.map(|t| t.timestamp_millis()),
                per_user_limit: limit.map(i64::from),
            })
        })
        .collect())
}

/// The rules of these SKUs in the room.
pub async fn rules(conn: &mut PgConnection, live_id: LiveId, skus: &[i64]) -> Result<Vec<SaleRule>, AppError> {
    let rows: Vec<(i64, Option<DateTime<Utc>>, Option<i32>)> = sqlx::query_as(
        "SELECT sku_id, starts_at, per_user_limit FROM sku_sales WHERE live_id = $1 AND sku_id = ANY($2)",
    )
    .bind(live_id.get())
    .bind(skus)
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|(sku, starts_at, per_user_limit)| {
            Some(SaleRule { live_id, sku_id: SkuId::new(sku).ok()?, starts_at, per_user_limit })
        })
        .collect())
}
