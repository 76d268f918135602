//! Goods as the record holds them: products (SPUs) with their SKUs, created
//! from a checked request and read one at a time or per streamer.

use app::{
    error::AppError,
    ids::{SkuId, SpuId, UserId},
    model::{NewGoods, SkuDetail, SpuDetail},
};
use sqlx::{PgConnection, PgPool};

use super::input;
use crate::error::Result;

pub async fn create(db: &PgPool, owner: UserId, new: &NewGoods) -> Result<SpuDetail> {
    let new = input::validate(new)?;
    let mut tx = db.begin().await?;
    let spu_id: i64 = sqlx::query_scalar(
        "INSERT INTO spus (owner_id, title, description, cover_url) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(owner.get())
    .bind(&new.title)
    .bind(new.description.as_deref().unwrap_or_default())
    .bind(&new.cover_url)
    .fetch_one(&mut *tx)
    .await?;
    for sku in &new.skus {
        sqlx::query("INSERT INTO skus (spu_id, spec, price_cents, stock) VALUES ($1, $2, $3, $4)")
            .bind(spu_id)
            .bind(&sku.spec)
            .bind(sku.price_cents)
            .bind(input::Stock::parse(sku.stock)?.get())
            .execute(&mut *tx)
            .await?;
    }
    let spu_id = SpuId::new(spu_id).map_err(anyhow::Error::from)?;
    let detail = find(&mut tx, spu_id).await?.ok_or(AppError::Internal)?;
    tx.commit().await?;
    Ok(detail)
}

#[derive(sqlx::FromRow)]
struct SpuRow {
    #[sqlx(try_from = "i64")]
    id: SpuId,
    title: String,
    description: String,
    cover_url: Option<String>,
}

/// A SKU row; `stock` is never negative (`CHECK (stock >= 0)`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SkuRow {
    #[sqlx(try_from = "i64")]
    pub id: SkuId,
    #[sqlx(try_from = "i64")]
    pub spu_id: SpuId,
    pub spec: String,
    pub price_cents: i64,
    pub stock: i32,
}

impl SkuRow {
    pub fn detail(&self) -> SkuDetail {
        SkuDetail {
            sku_id: self.id,
            spec: self.spec.clone(),
            price_cents: self.price_cents,
            stock: i64::from(self.stock),
        }
    }
}

fn with_skus(spu: SpuRow, skus: &[SkuRow]) -> SpuDetail {
    SpuDetail {
        spu_id: spu.id,
        title: spu.title,
        description: spu.description,
        cover_url: spu.cover_url,
        skus: skus.iter().filter(|k| k.spu_id == spu.id).map(SkuRow::detail).collect(),
    }
}

/// One product with its SKUs.
pub async fn find(conn: &mut PgConnection, spu_id: SpuId) -> Result<Option<SpuDetail>> {
    let spu: Option<SpuRow> = sqlx::query_as("SELECT id, title, description, cover_url FROM spus WHERE id = $1")
        .bind(spu_id.get())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(spu) = spu else { return Ok(None) };
    let skus: Vec<SkuRow> =
        sqlx::query_as("SELECT id, spu_id, spec, price_cents, stock FROM skus WHERE spu_id = $1 ORDER BY id")
            .bind(spu_id.get())
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(with_skus(spu, &skus)))
}

/// Every product of one streamer, newest first.
pub async fn owned_by(db: &PgPool, owner: UserId) -> Result<Vec<SpuDetail>> {
    let spus: Vec<SpuRow> =
        sqlx::query_as("SELECT id, title, description, cover_url FROM spus WHERE owner_id = $1 ORDER BY id DESC")
            .bind(owner.get())
            .fetch_all(db)
            .await?;
    let ids: Vec<i64> = spus.iter().map(|s| s.id.get()).collect();
    let skus: Vec<SkuRow> =
        sqlx::query_as("SELECT id, spu_id, spec, price_cents, stock FROM skus WHERE spu_id = ANY($1) ORDER BY id")
            .bind(&ids)
            .fetch_all(db)
            .await?;
    Ok(spus.into_iter().map(|spu| with_skus(spu, &skus)).collect())
}
