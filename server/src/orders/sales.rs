//! Flash-sale rules per SKU in a room: a start time and a per-user purchase
//! limit, none unless the room's owner sets them; and the check of both when
//! an order is placed.

use app::{
    error::{AppError, Reason},
    events::{RoomEvent, SaleChanged},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::SaleInfo,
};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::request::ValidOrder;
use crate::{error::Result, events::enqueue, rooms::lock_owned_room};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct SaleRule {
    #[sqlx(try_from = "i64")]
    pub live_id: LiveId,
    #[sqlx(try_from = "i64")]
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
) -> Result<SaleRule> {
    if per_user_limit.is_some_and(|l| !(1..=9999).contains(&l)) {
        return Err(AppError::Invalid(Reason::LimitRange).into());
    }
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let bound: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM skus k JOIN live_room_goods g ON g.spu_id = k.spu_id WHERE k.id = $1 AND g.live_id = $2)",
    )
    .bind(sku_id.get())
    .bind(live_id.get())
    .fetch_one(&mut *tx)
    .await?;
    if !bound {
        return Err(AppError::not_found("SKU bound to this room").into());
    }
    let per_user_limit = per_user_limit.map(|l| l as i32);
    sqlx::query(
        "INSERT INTO sku_sales (live_id, sku_id, starts_at, per_user_limit) VALUES ($1, $2, $3, $4)
         ON CONFLICT (live_id, sku_id) DO UPDATE SET starts_at = $3, per_user_limit = $4, updated_at = now()",
    )
    .bind(live_id.get())
    .bind(sku_id.get())
    .bind(starts_at)
    .bind(per_user_limit)
    .execute(&mut *tx)
    .await?;
    let event = SaleChanged {
        live_id,
        sku_id,
        starts_at_ms: starts_at.map(|t| t.timestamp_millis()),
        per_user_limit: per_user_limit.map(i64::from),
    };
    enqueue(&mut tx, live_id, &RoomEvent::Sale(event)).await?;
    tx.commit().await?;
    Ok(SaleRule { live_id, sku_id, starts_at, per_user_limit })
}

/// What shoppers see of the rules of a product's SKUs in a room.
pub async fn shown(db: &PgPool, live_id: LiveId, spu_id: SpuId) -> Result<Vec<SaleInfo>> {
    let rules: Vec<SaleRule> = sqlx::query_as(
        "SELECT ss.live_id, ss.sku_id, ss.starts_at, ss.per_user_limit FROM sku_sales ss JOIN skus k ON k.id = ss.sku_id
          WHERE ss.live_id = $1 AND k.spu_id = $2",
    )
    .bind(live_id.get())
    .bind(spu_id.get())
    .fetch_all(db)
    .await?;
    Ok(rules
        .into_iter()
        .map(|r| SaleInfo {
            sku_id: r.sku_id,
            starts_at_ms: r.starts_at.map(|t| t.timestamp_millis()),
            per_user_limit: r.per_user_limit.map(i64::from),
        })
        .collect())
}

/// The rules of these SKUs in the room (the order checks their start time).
pub async fn rules_of(db: &PgPool, live_id: LiveId, skus: &[SkuId]) -> Result<Vec<SaleRule>> {
    let ids: Vec<i64> = skus.iter().map(|s| s.get()).collect();
    let rules = sqlx::query_as(
        "SELECT live_id, sku_id, starts_at, per_user_limit FROM sku_sales WHERE live_id = $1 AND sku_id = ANY($2)",
    )
    .bind(live_id.get())
    .bind(&ids)
    .fetch_all(db)
    .await?;
    Ok(rules)
}

/// Per-user limits (over the user's orders that were not cancelled or
/// expired: their units went back), held under a per-(user, room) lock so that concurrent
/// orders from one user cannot both pass.
pub async fn check_limits(conn: &mut PgConnection, user: UserId, order: &ValidOrder, rules: &[SaleRule]) -> Result<()> {
    let live_id = order.request.live_id;
    if rules.iter().all(|r| r.per_user_limit.is_none()) {
        return Ok(());
    }
    lock_limits(conn, &[user.get()], live_id).await?;
    for rule in rules {
        let Some(limit) = rule.per_user_limit else { continue };
        let bought = bought(conn, &[user.get()], live_id, rule.sku_id).await?.get(&user.get()).copied().unwrap_or(0);
        let wanted = order.items.iter().find(|(s, _)| *s == rule.sku_id).map(|(_, q)| q.wide()).unwrap_or(0);
        if bought + wanted > i64::from(limit) {
            return Err(AppError::PurchaseLimit.into());
        }
    }
    Ok(())
}

/// Takes the per-(user, room) limit locks of these buyers (sorted, no
/// duplicates) until the transaction ends, in user order, so that groups
/// and single orders cannot deadlock.
pub async fn lock_limits(conn: &mut PgConnection, users: &[i64], live_id: LiveId) -> Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('order-limit:' || u::text || ':' || $2::text, 0))
           FROM (SELECT u FROM unnest($1::BIGINT[]) AS u ORDER BY u) AS users",
    )
    .bind(users)
    .bind(live_id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many of the SKU each of these buyers holds in the room's live
/// (not cancelled, not expired) orders; a buyer with none is absent.
///
/// The buyers' orders first, then this room's among them. A room's sale
/// starts with its `live_id` unknown to the planner's statistics (they are
/// refreshed once a tenth of the table has changed); joined directly,
/// Postgres took the room's index for the selective one and walked every
/// order of the sale on each check: 17.6 ms at 200,000 orders in the room
/// and growing, against 0.06 ms through the buyers' few orders
/// (`orders_user_idx`).
pub async fn bought(
    conn: &mut PgConnection,
    users: &[i64],
    live_id: LiveId,
    sku_id: SkuId,
) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "WITH mine AS MATERIALIZED (SELECT id, user_id, live_id, status FROM orders WHERE user_id = ANY($1))
         SELECT o.user_id, COALESCE(sum(i.quantity), 0)::BIGINT FROM mine o JOIN order_items i ON i.order_id = o.id
          WHERE o.live_id = $2 AND i.sku_id = $3 AND o.status NOT IN ('cancelled', 'expired')
          GROUP BY o.user_id",
    )
    .bind(users)
    .bind(live_id.get())
    .bind(sku_id.get())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}
