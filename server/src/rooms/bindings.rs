//! Binding goods to a room (the source's `LiveRoomGoodsBinding`), unbinding,
//! reordering and marking the product being explained. Each change locks the
//! room as its owner, writes the record and its event in one transaction, and
//! bumps the room's goods version. The request never touches the cache: the
//! room-events consumer rebuilds it from what was committed.

use app::{
    error::{AppError, Reason},
    events::{self, RoomEvent},
    ids::{LiveId, SpuId, UserId},
    model::Binding,
};

use super::ownership::lock_owned_room;
use crate::{error::Result, events::enqueue, links::TrackingCode, video};

pub async fn bind(db: &sqlx::PgPool, user: UserId, live_id: LiveId, spu_id: SpuId) -> Result<Binding> {
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let spu: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.owner_id, COALESCE((SELECT sum(stock) FROM skus WHERE spu_id = s.id), 0)::BIGINT
           FROM spus s WHERE s.id = $1",
    )
    .bind(spu_id.get())
    .fetch_optional(&mut *tx)
    .await?;
    let (owner, stock) = spu.ok_or_else(|| AppError::not_found("goods"))?;
    if owner != user.get() {
        return Err(AppError::Forbidden("you can only bind your own goods".into()).into());
    }
    if stock <= 0 {
        return Err(AppError::Invalid(Reason::NoStockToBind).into());
    }
    let tracking_code = TrackingCode::mint();
    let position: Option<i32> = sqlx::query_scalar(
        "INSERT INTO live_room_goods (live_id, spu_id, position, stock_snapshot, tracking_code)
         SELECT $1, $2, COALESCE(max(position) + 1, 0), $3, $4 FROM live_room_goods WHERE live_id = $1
         ON CONFLICT (live_id, spu_id) DO NOTHING RETURNING position",
    )
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(stock.min(i64::from(i32::MAX)) as i32)
    .bind(tracking_code.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let position = position.ok_or(AppError::Conflict(Reason::AlreadyBound))?;
    let binding =
        Binding { live_id, spu_id, stock_snapshot: stock, tracking_code: tracking_code.to_string(), position };
    let event = events::GoodsBound {
        live_id,
        spu_id,
        position,
        stock_snapshot: stock,
        tracking_code: binding.tracking_code.clone(),
    };
    enqueue(&mut tx, live_id, &RoomEvent::GoodsBound(event)).await?;
    tx.commit().await?;
    Ok(binding)
}

pub async fn unbind(db: &sqlx::PgPool, user: UserId, live_id: LiveId, spu_id: SpuId) -> Result<()> {
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let removed: Option<i32> =
        sqlx::query_scalar("DELETE FROM live_room_goods WHERE live_id = $1 AND spu_id = $2 RETURNING position")
            .bind(live_id.get())
            .bind(spu_id.get())
            .fetch_optional(&mut *tx)
            .await?;
    let position = removed.ok_or_else(|| AppError::not_found("binding of these goods in the room"))?;
    sqlx::query("UPDATE live_room_goods SET position = position - 1 WHERE live_id = $1 AND position > $2")
        .bind(live_id.get())
        .bind(position)
        .execute(&mut *tx)
        .await?;
    enqueue(&mut tx, live_id, &RoomEvent::GoodsUnbound(events::GoodsUnbound { live_id, spu_id })).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts the room's goods in the order given; every bound product exactly once.
pub async fn reorder(db: &sqlx::PgPool, user: UserId, live_id: LiveId, order: &[SpuId]) -> Result<Vec<SpuId>> {
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, user).await?;
    let mut bound: Vec<i64> = sqlx::query_scalar("SELECT spu_id FROM live_room_goods WHERE live_id = $1")
        .bind(live_id.get())
        .fetch_all(&mut *tx)
        .await?;
    let ids: Vec<i64> = order.iter().map(|s| s.get()).collect();
    let mut wanted = ids.clone();
    bound.sort_unstable();
    wanted.sort_unstable();
    if bound != wanted {
        return Err(AppError::Invalid(Reason::PositionsMismatch).into());
    }
    sqlx::query(
        "UPDATE live_room_goods g SET position = v.ord - 1
           FROM unnest($2::BIGINT[]) WITH ORDINALITY AS v(spu_id, ord)
          WHERE g.live_id = $1 AND g.spu_id = v.spu_id",
    )
    .bind(live_id.get())
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    let event = events::GoodsReordered { live_id, spu_ids: order.to_vec() };
    enqueue(&mut tx, live_id, &RoomEvent::GoodsReordered(event)).await?;
    tx.commit().await?;
    Ok(order.to_vec())
}

/// Marks the product being explained (`None` clears the mark), at the
/// stream time the room's video is at now (kept for the replay's timeline).
pub async fn explain(db: &sqlx::PgPool, user: UserId, live_id: LiveId, spu_id: Option<SpuId>) -> Result<Option<SpuId>> {
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, user).await?;
    if let Some(spu) = spu_id {
        let bound: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM live_room_goods WHERE live_id = $1 AND spu_id = $2)")
                .bind(live_id.get())
                .bind(spu.get())
                .fetch_one(&mut *tx)
                .await?;
        if !bound {
            return Err(AppError::Invalid(Reason::ExplainUnbound).into());
        }
    }
    sqlx::query("UPDATE live_rooms SET explaining_spu_id = $2 WHERE id = $1")
        .bind(live_id.get())
        .bind(spu_id.map(SpuId::get))
        .execute(&mut *tx)
        .await?;
    let stream_time_ms = video::stream_time_ms(&mut tx, live_id).await?;
    video::log_explaining(&mut tx, live_id, spu_id, stream_time_ms).await?;
    enqueue(&mut tx, live_id, &RoomEvent::Explaining(events::Explaining { live_id, spu_id, stream_time_ms })).await?;
    tx.commit().await?;
    Ok(spu_id)
}
