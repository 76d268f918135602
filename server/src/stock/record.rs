//! Stock in Postgres, the record: the conditional decrement an order takes,
//! the owner's stock edit, the reads the gate refills and reconciles from, and
//! the `stock` event every room showing a changed SKU receives.

use app::{
    error::AppError,
    events::{RoomEvent, StockChanged},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::SkuDetail,
};
use sqlx::{PgConnection, PgPool};

use crate::{
    error::Result,
    events::enqueue,
    goods::{SkuRow, Stock},
    orders::Quantity,
};

/// The SKUs among `ids` that are bound to the room (through their product).
pub async fn bound_skus(db: &PgPool, live_id: LiveId, ids: &[SkuId]) -> Result<Vec<SkuRow>> {
    let ids: Vec<i64> = ids.iter().map(|s| s.get()).collect();
    let rows = sqlx::query_as(
        "SELECT k.id, k.spu_id, k.spec, k.price_cents, k.stock FROM skus k
           JOIN live_room_goods g ON g.spu_id = k.spu_id AND g.live_id = $1
          WHERE k.id = ANY($2)",
    )
    .bind(live_id.get())
    .bind(&ids)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// What Postgres holds now of each of these SKUs.
pub async fn current(db: &PgPool, ids: &[SkuId]) -> Result<Vec<(SkuId, i64)>> {
    let ids: Vec<i64> = ids.iter().map(|s| s.get()).collect();
    let rows: Vec<(i64, i32)> =
        sqlx::query_as("SELECT id, stock FROM skus WHERE id = ANY($1)").bind(&ids).fetch_all(db).await?;
    rows.into_iter().map(|(id, stock)| Ok((SkuId::new(id).map_err(anyhow::Error::from)?, i64::from(stock)))).collect()
}

/// The stock of the SKUs bound to a room (all, or only `only`), for reconciliation.
pub async fn bound_in_room(db: &PgPool, live_id: LiveId, only: Option<&[SkuId]>) -> Result<Vec<(SkuId, i64)>> {
    let only: Option<Vec<i64>> = only.map(|ids| ids.iter().map(|s| s.get()).collect());
    let rows: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT k.id, k.stock FROM live_room_goods g JOIN skus k ON k.spu_id = g.spu_id
          WHERE g.live_id = $1 AND ($2::BIGINT[] IS NULL OR k.id = ANY($2)) ORDER BY k.id",
    )
    .bind(live_id.get())
    .bind(only)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(|(sku, stock)| Ok((SkuId::new(sku).map_err(anyhow::Error::from)?, i64::from(stock)))).collect()
}

/// The SKUs of a product (a bind corrects their counters in the room).
pub async fn skus_of(db: &PgPool, spu_id: SpuId) -> Result<Vec<SkuId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM skus WHERE spu_id = $1 ORDER BY id")
        .bind(spu_id.get())
        .fetch_all(db)
        .await?;
    ids.into_iter().map(|id| Ok(SkuId::new(id).map_err(anyhow::Error::from)?)).collect()
}

/// Takes `qty` of `sku_id` if Postgres still has it; the stock left, or
/// `None` when it has not (the order is sold out, whatever the gate said).
pub async fn take(conn: &mut PgConnection, sku_id: SkuId, qty: Quantity) -> Result<Option<i64>> {
    let left: Option<i32> = sqlx::query_scalar(
        "UPDATE skus SET stock = stock - $2, updated_at = now() WHERE id = $1 AND stock >= $2 RETURNING stock",
    )
    .bind(sku_id.get())
    .bind(qty.get())
    .fetch_optional(conn)
    .await?;
    Ok(left.map(i64::from))
}

/// Gives back `qty` of `sku_id` (an order that closed unpaid); the stock now.
pub async fn give_back(conn: &mut PgConnection, sku_id: SkuId, qty: Quantity) -> Result<i64> {
    let stock: i32 =
        sqlx::query_scalar("UPDATE skus SET stock = stock + $2, updated_at = now() WHERE id = $1 RETURNING stock")
            .bind(sku_id.get())
            .bind(qty.get())
            .fetch_one(conn)
            .await?;
    Ok(i64::from(stock))
}

/// Sets a SKU's stock (its product's owner only); every room showing the
/// product is told. Returns the SKU and the rooms that were told.
pub async fn set(
    db: &PgPool,
    owner: UserId,
    spu_id: SpuId,
    sku_id: SkuId,
    stock: i64,
) -> Result<(SkuDetail, Vec<LiveId>)> {
    let mut tx = db.begin().await?;
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT s.owner_id FROM skus k JOIN spus s ON s.id = k.spu_id WHERE k.id = $1 AND k.spu_id = $2 FOR UPDATE OF k",
    )
    .bind(sku_id.get())
    .bind(spu_id.get())
    .fetch_optional(&mut *tx)
    .await?;
    let owner_id = found.ok_or_else(|| AppError::not_found("SKU of that product"))?;
    if owner_id != owner.get() {
        return Err(AppError::forbidden().into());
    }
    let stock = Stock::parse(stock)?;
    let row: SkuRow = sqlx::query_as(
        "UPDATE skus SET stock = $2, updated_at = now() WHERE id = $1 RETURNING id, spu_id, spec, price_cents, stock",
    )
    .bind(sku_id.get())
    .bind(stock.get())
    .fetch_one(&mut *tx)
    .await?;
    let rooms = announce(&mut tx, &[(spu_id, sku_id, i64::from(stock.get()))]).await?;
    tx.commit().await?;
    Ok((row.detail(), rooms))
}

/// Writes a `stock` event for every room showing one of these SKUs and bumps
/// each changed product's stock version (the events and the rooms' cards
/// carry it; the room cache orders its snapshots by it); returns the rooms.
/// No room row is locked or written, so orders in one room never queue
/// behind each other here; products are locked in id order, once, so
/// concurrent orders and stock edits cannot deadlock, and a product's total
/// is read after its row is locked, so a later version never carries an
/// older total.
pub async fn announce(conn: &mut PgConnection, changed: &[(SpuId, SkuId, i64)]) -> Result<Vec<LiveId>> {
    let spus: Vec<i64> = changed.iter().map(|(spu, _, _)| spu.get()).collect();
    let versions: Vec<(i64, i64)> = sqlx::query_as(
        "UPDATE spus SET stock_version = stock_version + 1
          WHERE id IN (SELECT id FROM spus WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE)
          RETURNING id, stock_version",
    )
    .bind(&spus)
    .fetch_all(&mut *conn)
    .await?;
    let rooms: Vec<(i64, i64)> =
        sqlx::query_as("SELECT live_id, spu_id FROM live_room_goods WHERE spu_id = ANY($1) ORDER BY live_id")
            .bind(&spus)
            .fetch_all(&mut *conn)
            .await?;
    for (spu_id, sku_id, stock) in changed {
        let version = versions.iter().find(|(id, _)| *id == spu_id.get()).map_or(0, |(_, v)| *v);
        let spu_stock: i64 = sqlx::query_scalar("SELECT COALESCE(sum(stock), 0)::BIGINT FROM skus WHERE spu_id = $1")
            .bind(spu_id.get())
            .fetch_one(&mut *conn)
            .await?;
        for (room, _) in rooms.iter().filter(|(_, spu)| *spu == spu_id.get()) {
            let live_id = LiveId::new(*room).map_err(anyhow::Error::from)?;
            let event = StockChanged { spu_id: *spu_id, sku_id: *sku_id, stock: *stock, spu_stock, version };
            enqueue(conn, live_id, &RoomEvent::Stock(event)).await?;
        }
    }
    let mut ids: Vec<i64> = rooms.iter().map(|(id, _)| *id).collect();
    ids.dedup();
    ids.into_iter().map(|id| Ok(LiveId::new(id).map_err(anyhow::Error::from)?)).collect()
}
