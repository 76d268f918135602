//! Binding goods to a room (the source's `LiveRoomGoodsBinding`), unbinding,
//! reordering and marking the product being explained. Each change locks the
//! room row, checks ownership, writes the record and its event in one
//! transaction, and bumps the room's goods version. The request never touches
//! the cache: the room-events consumer rebuilds it from what was committed.

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SpuId, UserId},
    model::Binding,
};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

use crate::{
    events::{outbox, Stream},
    failure::store_error,
    tracking,
};

/// Locks the room for a change by its owner and bumps its goods version.
/// 404 for an unknown room, 403 for someone else's.
pub async fn lock_owned_room(
    tx: &mut Transaction<'_, Postgres>,
    live_id: LiveId,
    user: UserId,
) -> Result<(), AppError> {
    let owner: Option<i64> =
        sqlx::query_scalar("UPDATE live_rooms SET goods_version = goods_version + 1 WHERE id = $1 RETURNING owner_id")
            .bind(live_id.get())
            .fetch_optional(&mut **tx)
            .await
            .map_err(store_error)?;
    match owner {
        None => Err(AppError::not_found("live room")),
        Some(owner) if owner != user.get() => Err(AppError::forbidden()),
        Some(_) => Ok(()),
    }
}

async fn emit(
    tx: &mut Transaction<'_, Postgres>,
    event: &str,
    live_id: LiveId,
    payload: serde_json::Value,
) -> Result<(), AppError> {
    outbox::enqueue(tx, Stream::Room, event, live_id, &payload).await.map_err(store_error)?;
    Ok(())
}

pub async fn bind(db: &PgPool, user: UserId, live_id: LiveId, spu_id: SpuId) -> Result<Binding, AppError> {
    let mut tx = db.begin().await.map_err(store_error)?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let spu: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.owner_id, COALESCE((SELECT sum(stock) FROM skus WHERE spu_id = s.id), 0)::BIGINT
           FROM spus s WHERE s.id = $1",
    )
    .bind(spu_id.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(store_error)?;
    let (owner, stock) = spu.ok_or_else(|| AppError::not_found("goods"))?;
    if owner != user.get() {
        return Err(AppError::Forbidden("you can only bind your own goods".into()));
    }
    if stock <= 0 {
        return Err(AppError::Invalid(Reason::NoStockToBind));
    }
    let tracking_code = tracking::mint();
    let position: Option<i32> = sqlx::query_scalar(
        "INSERT INTO live_room_goods (live_id, spu_id, position, stock_snapshot, tracking_code)
         SELECT $1, $2, COALESCE(max(position) + 1, 0), $3, $4 FROM live_room_goods WHERE live_id = $1
         ON CONFLICT (live_id, spu_id) DO NOTHING RETURNING position",
    )
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(stock.min(i64::from(i32::MAX)) as i32)
    .bind(&tracking_code)
    .fetch_optional(&mut *tx)
    .await
    .map_err(store_error)?;
    let position = position.ok_or(AppError::Conflict(Reason::AlreadyBound))?;
    let binding = Binding { live_id, spu_id, stock_snapshot: stock, tracking_code, position };
    emit(
        &mut tx,
        "goods_bound",
        live_id,
        json!({ "live_id": live_id, "spu_id": spu_id, "position": position, "stock_snapshot": stock, "tracking_code": binding.tracking_code }),
    )
    .await?;
    tx.commit().await.map_err(store_error)?;
    Ok(binding)
}

pub async fn unbind(db: &PgPool, user: UserId, live_id: LiveId, spu_id: SpuId) -> Result<(), AppError> {
    let mut tx = db.begin().await.map_err(store_error)?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let removed: Option<i32> =
        sqlx::query_scalar("DELETE FROM live_room_goods WHERE live_id = $1 AND spu_id = $2 RETURNING position")
            .bind(live_id.get())
            .bind(spu_id.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
    let position = removed.ok_or_else(|| AppError::not_found("binding of these goods in the room"))?;
    sqlx::query("UPDATE live_room_goods SET position = position - 1 WHERE live_id = $1 AND position > $2")
        .bind(live_id.get())
        .bind(position)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    emit(&mut tx, "goods_unbound", live_id, json!({ "live_id": live_id, "spu_id": spu_id })).await?;
    tx.commit().await.map_err(store_error)?;
    Ok(())
}

/// Puts the room's goods in the order given; every bound product exactly once.
pub async fn reorder(db: &PgPool, user: UserId, live_id: LiveId, order: &[SpuId]) -> Result<Vec<SpuId>, AppError> {
    let mut tx = db.begin().await.map_err(store_error)?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let mut bound: Vec<i64> = sqlx::query_scalar("SELECT spu_id FROM live_room_goods WHERE live_id = $1")
        .bind(live_id.get())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
    let mut wanted: Vec<i64> = order.iter().map(|s| s.get()).collect();
    bound.sort_unstable();
    wanted.sort_unstable();
    if bound != wanted {
        return Err(AppError::Invalid(Reason::PositionsMismatch));
    }
    let ids: Vec<i64> = order.iter().map(|s| s.get()).collect();
    sqlx::query(
        "UPDATE live_room_goods g SET position = v.ord - 1
           FROM unnest($2::BIGINT[]) WITH ORDINALITY AS v(spu_id, ord)
          WHERE g.live_id = $1 AND g.spu_id = v.spu_id",
    )
    .bind(live_id.get())
    .bind(&ids)
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    emit(&mut tx, "goods_reordered", live_id, json!({ "live_id": live_id, "spu_ids": order })).await?;
    tx.commit().await.map_err(store_error)?;
    Ok(order.to_vec())
}

/// Marks the product being explained (`None` clears the mark).
pub async fn explain(
    db: &PgPool,
    user: UserId,
    live_id: LiveId,
    spu_id: Option<SpuId>,
) -> Result<Option<SpuId>, AppError> {
    let mut tx = db.begin().await.map_err(store_error)?;
    lock_owned_room(&mut tx, live_id, user).await?;
    if let Some(spu) = spu_id {
        let bound: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM live_room_goods WHERE live_id = $1 AND spu_id = $2)")
                .bind(live_id.get())
                .bind(spu.get())
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
        if !bound {
            return Err(AppError::Invalid(Reason::ExplainUnbound));
        }
    }
    sqlx::query("UPDATE live_rooms SET explaining_spu_id = $2 WHERE id = $1")
        .bind(live_id.get())
        .bind(spu_id.map(SpuId::get))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    emit(&mut tx, "explaining", live_id, json!({ "live_id": live_id, "spu_id": spu_id })).await?;
    tx.commit().await.map_err(store_error)?;
    Ok(spu_id)
}
