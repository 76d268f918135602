//! Checking a create-goods request and a stock figure before anything is written.

use app::{
    error::{AppError, Field, Reason},
    model::{NewGoods, NewSku},
};

use super::text;

pub const MAX_SKUS: usize = 50;
pub const MAX_STOCK: i64 = 10_000_000;
pub const MAX_PRICE_CENTS: i64 = 10_000_000_000;

/// A stock figure a SKU may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock(i32);

impl Stock {
    pub fn parse(stock: i64) -> Result<Self, AppError> {
        if (0..=MAX_STOCK).contains(&stock) {
            Ok(Self(stock as i32))
        } else {
            Err(AppError::Invalid(Reason::StockRange))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// Checks a create-goods request; trims text fields.
pub fn validate(new: &NewGoods) -> Result<NewGoods, AppError> {
    let title = text::required(Field::Title, &new.title, 100)?;
    let description = text::optional(Field::Description, new.description.as_deref(), 5000)?.unwrap_or_default();
    let cover_url = text::url(Field::CoverUrl, new.cover_url.as_deref())?;
    if new.skus.is_empty() || new.skus.len() > MAX_SKUS {
        return Err(AppError::Invalid(Reason::SkuCount { max: MAX_SKUS }));
    }
    let mut skus: Vec<NewSku> = Vec::with_capacity(new.skus.len());
    for sku in &new.skus {
        let spec = text::required(Field::Spec, &sku.spec, 64)?;
        if skus.iter().any(|s| s.spec == spec) {
            return Err(AppError::Invalid(Reason::DuplicateSpec { spec: spec.clone() }));
        }
        if !(0..=MAX_PRICE_CENTS).contains(&sku.price_cents) {
            return Err(AppError::Invalid(Reason::PriceRange));
        }
        Stock::parse(sku.stock)?;
        skus.push(NewSku { spec, price_cents: sku.price_cents, stock: sku.stock });
    }
    Ok(NewGoods { title, description: Some(description), cover_url, skus })
}
