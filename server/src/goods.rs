//! Goods (SPUs with their SKUs): creation with validated input, stock edits
//! that flow to every room the product is bound to.

use app::{
    error::{AppError, Field, Reason},
    ids::{LiveId, SkuId, SpuId, UserId},
    model::{NewGoods, SkuDetail, SpuDetail},
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use crate::{
    events::{outbox, Stream},
    failure::store_error,
    text,
};

pub const MAX_SKUS: usize = 50;
pub const MAX_STOCK: i64 = 10_000_000;
pub const MAX_PRICE_CENTS: i64 = 10_000_000_000;

/// Checks a create-goods request; trims text fields.
pub fn validate(new: &NewGoods) -> Result<NewGoods, AppError> {
    let title = text::required(Field::Title, &new.title, 100)?;
    let description = text::optional(Field::Description, new.description.as_deref(), 5000)?.unwrap_or_default();
    let cover_url = text::url(Field::CoverUrl, new.cover_url.as_deref())?;
    if new.skus.is_empty() || new.skus.len() > MAX_SKUS {
        return Err(AppError::Invalid(Reason::SkuCount { max: MAX_SKUS }));
    }
    let mut skus = Vec::with_capacity(new.skus.len());
    for sku in &new.skus {
        let spec = text::required(Field::Spec, &sku.spec, 64)?;
        if skus.iter().any(|s: &app::model::NewSku| s.spec == spec) {
            return Err(AppError::Invalid(Reason::DuplicateSpec { spec: spec.clone() }));
        }
        if !(0..=MAX_PRICE_CENTS).contains(&sku.price_cents) {
            return Err(AppError::Invalid(Reason::PriceRange));
        }
        check_stock(sku.stock)?;
        skus.push(app::model::NewSku { spec, price_cents: sku.price_cents, stock: sku.stock });
    }
    Ok(NewGoods { title, description: Some(description), cover_url, skus })
}

pub fn check_stock(stock: i64) -> Result<(), AppError> {
    if (0..=MAX_STOCK).contains(&stock) {
        Ok(())
    } else {
        Err(AppError::Invalid(Reason::StockRange))
    }
}

pub async fn create(db: &PgPool, owner: UserId, new: &NewGoods) -> Result<SpuDetail, AppError> {
    let new = validate(new)?;
    let mut tx = db.begin().await.map_err(store_error)?;
    let spu_id: i64 = sqlx::query_scalar(
        "INSERT INTO spus (owner_id, title, description, cover_url) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(owner.get())
    .bind(&new.title)
    .bind(new.description.as_deref().unwrap_or_default())
    .bind(&new.cover_url)
    .fetch_one(&mut *tx)
    .await
    .map_err(store_error)?;
    for sku in &new.skus {
        sqlx::query("INSERT INTO skus (spu_id, spec, price_cents, stock) VALUES ($1, $2, $3, $4)")
            .bind(spu_id)
            .bind(&sku.spec)
            .bind(sku.price_cents)
            .bind(sku.stock as i32)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
    }
    let spu_id = SpuId::new(spu_id).map_err(|_| AppError::Internal)?;
    let detail = find(&mut tx, spu_id).await?.ok_or(AppError::Internal)?;
    tx.commit().await.map_err(store_error)?;
    Ok(detail)
}

#[derive(sqlx::FromRow)]
struct SpuRow {
    id: i64,
    title: String,
    description: String,
    cover_url: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SkuRow {
    id: i64,
    spu_id: i64,
    spec: String,
    price_cents: i64,
    stock: i32,
}

fn sku_detail(r: SkuRow) -> Option<SkuDetail> {
    Some(SkuDetail {
        sku_id: SkuId::new(r.id).ok()?,
        spec: r.spec,
        price_cents: r.price_cents,
        stock: i64::from(r.stock),
    })
}

/// One product with its SKUs.
pub async fn find(conn: &mut PgConnection, spu_id: SpuId) -> Result<Option<SpuDetail>, AppError> {
    let Some(spu): Option<SpuRow> = sqlx::query_as("SELECT id, title, description, cover_url FROM spus WHERE id = $1")
        .bind(spu_id.get())
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let skus: Vec<SkuRow> =
        sqlx::query_as("SELECT id, spu_id, spec, price_cents, stock FROM skus WHERE spu_id = $1 ORDER BY id")
            .bind(spu_id.get())
            .fetch_all(&mut *conn)
            .await
            .map_err(store_error)?;
    Ok(Some(SpuDetail {
        spu_id,
        title: spu.title,
        description: spu.description,
        cover_url: spu.cover_url,
        skus: skus.into_iter().filter_map(sku_detail).collect(),
    }))
}

/// Every product of one streamer, newest first.
pub async fn owned_by(db: &PgPool, owner: UserId) -> Result<Vec<SpuDetail>, AppError> {
    let spus: Vec<SpuRow> =
        sqlx::query_as("SELECT id, title, description, cover_url FROM spus WHERE owner_id = $1 ORDER BY id DESC")
            .bind(owner.get())
            .fetch_all(db)
            .await
            .map_err(store_error)?;
    let ids: Vec<i64> = spus.iter().map(|s| s.id).collect();
    let skus: Vec<SkuRow> =
        sqlx::query_as("SELECT id, spu_id, spec, price_cents, stock FROM skus WHERE spu_id = ANY($1) ORDER BY id")
            .bind(&ids)
            .fetch_all(db)
            .await
            .map_err(store_error)?;
    Ok(spus
        .into_iter()
        .filter_map(|spu| {
            let own: Vec<SkuDetail> = skus
                .iter()
                .filter(|k| k.spu_id == spu.id)
                .filter_map(|k| {
                    Some(SkuDetail {
                        sku_id: SkuId::new(k.id).ok()?,
                        spec: k.spec.clone(),
                        price_cents: k.price_cents,
                        stock: i64::from(k.stock),
                    })
                })
                .collect();
            Some(SpuDetail {
                spu_id: SpuId::new(spu.id).ok()?,
                title: spu.title,
                description: spu.description,
                cover_url: spu.cover_url,
                skus: own,
            })
        })
        .collect())
}

/// Sets a SKU's stock (owner only); every room showing the product is told.
/// Returns the SKU and the rooms that were told.
pub async fn set_stock(
    db: &PgPool,
    owner: UserId,
    spu_id: SpuId,
    sku_id: SkuId,
    stock: i64,
) -> Result<(SkuDetail, Vec<LiveId>), AppError> {
    let mut tx = db.begin().await.map_err(store_error)?;
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT s.owner_id FROM skus k JOIN spus s ON s.id = k.spu_id WHERE k.id = $1 AND k.spu_id = $2 FOR UPDATE OF k",
    )
    .bind(sku_id.get())
    .bind(spu_id.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(store_error)?;
    let (owner_id,) = found.ok_or_else(|| AppError::not_found("SKU of that product"))?;
    if owner_id != owner.get() {
        return Err(AppError::forbidden());
    }
    check_stock(stock)?;
    let row: SkuRow = sqlx::query_as(
        "UPDATE skus SET stock = $2, updated_at = now() WHERE id = $1 RETURNING id, spu_id, spec, price_cents, stock",
    )
    .bind(sku_id.get())
    .bind(stock as i32)
    .fetch_one(&mut *tx)
    .await
    .map_err(store_error)?;
    let rooms = announce_stock(&mut tx, &[(spu_id, sku_id, stock)]).await?;
    tx.commit().await.map_err(store_error)?;
    Ok((sku_detail(row).ok_or(AppError::Internal)?, rooms))
}

/// Writes a `stock` event for every room showing one of these SKUs and bumps
/// those rooms' goods versions; returns the rooms. Rooms are locked in id
/// order, once, so concurrent orders and stock edits cannot deadlock.
pub async fn announce_stock(conn: &mut PgConnection, changed: &[(SpuId, SkuId, i64)]) -> Result<Vec<LiveId>, AppError> {
    let spus: Vec<i64> = changed.iter().map(|(spu, _, _)| spu.get()).collect();
    let rooms: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.id, g.spu_id FROM live_rooms r JOIN live_room_goods g ON g.live_id = r.id
          WHERE g.spu_id = ANY($1) ORDER BY r.id FOR NO KEY UPDATE OF r",
    )
    .bind(&spus)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let mut ids: Vec<i64> = rooms.iter().map(|(id, _)| *id).collect();
    ids.dedup();
    sqlx::query("UPDATE live_rooms SET goods_version = goods_version + 1 WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    for (spu_id, sku_id, stock) in changed {
        let spu_stock: i64 = sqlx::query_scalar("SELECT COALESCE(sum(stock), 0)::BIGINT FROM skus WHERE spu_id = $1")
            .bind(spu_id.get())
            .fetch_one(&mut *conn)
            .await
            .map_err(store_error)?;
        for (room, _) in rooms.iter().filter(|(_, spu)| *spu == spu_id.get()) {
            let live_id = LiveId::new(*room).map_err(|_| AppError::Internal)?;
            let payload = json!({ "spu_id": spu_id, "sku_id": sku_id, "stock": stock, "spu_stock": spu_stock });
            outbox::enqueue(conn, Stream::Room, "stock", live_id, &payload).await.map_err(store_error)?;
        }
    }
    Ok(ids.into_iter().filter_map(|id| LiveId::new(id).ok()).collect())
}
