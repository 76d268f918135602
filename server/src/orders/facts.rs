//! What an order is checked against before the gate — the room's status, the
//! ordered SKUs bound to it (with their prices) and their flash-sale rules —
//! cached in the process for at most [`FACTS_TTL`], so that a burst of orders
//! (and every sold-out refusal) reads them from Postgres about once a second
//! per room and SKU set instead of three times per request.
//!
//! Staleness is bounded: the process where a streamer binds, unbinds, edits
//! a sale rule or ends the room drops the room's facts at once
//! ([`SaleFacts::forget_room`]); every other process follows within
//! `FACTS_TTL`. The order transaction itself still checks the room sells and
//! takes the stock conditionally, so a stale fact can never oversell.

use std::{sync::Arc, time::Duration};

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId},
};
use chrono::Utc;
use moka::future::Cache;
use sqlx::PgPool;

use super::{request::ValidOrder, sales::SaleRule};
use crate::{
    error::{Error, Result},
    goods::SkuRow,
    rooms::{self, Sales},
    stock,
};

/// The contract's second: a sale edit or a room's end is seen by every
/// process within it.
pub const FACTS_TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: u64 = 50_000;

/// The facts of one room and SKU set, as Postgres had them.
#[derive(Clone, Debug)]
pub struct Facts {
    /// Whom the room sells to (`None`: no such room).
    pub sales: Option<Sales>,
    /// The ordered SKUs that are bound to the room.
    pub skus: Vec<SkuRow>,
    pub rules: Vec<SaleRule>,
}

impl Facts {
    /// The SKUs ordered, each bound to a room selling to this order's source,
    /// with their rules, or why not: 404 unknown room, 409 ended room (unless
    /// a replay order for a recorded room), 422 a SKU not in the room, 409 a
    /// sale not started yet (judged now, not when the facts were read).
    pub fn check(&self, order: &ValidOrder) -> Result<(&[SkuRow], &[SaleRule])> {
        let sales = self.sales.ok_or_else(|| AppError::not_found("live room"))?;
        sales.admit(order.request.source_type)?;
        if self.skus.len() != order.items.len() {
            return Err(AppError::Invalid(Reason::SkuNotInRoom).into());
        }
        let now = Utc::now();
        if self.rules.iter().any(|r| r.starts_at.is_some_and(|t| t > now)) {
            return Err(AppError::SaleNotStarted.into());
        }
        Ok((&self.skus, &self.rules))
    }
}

type Key = (LiveId, Vec<SkuId>);

#[derive(Clone)]
pub struct SaleFacts {
    db: PgPool,
    cache: Cache<Key, Arc<Facts>>,
}

impl SaleFacts {
    pub fn new(db: PgPool) -> Self {
        let cache =
            Cache::builder().max_capacity(MAX_ENTRIES).time_to_live(FACTS_TTL).support_invalidation_closures().build();
        Self { db, cache }
    }

    /// The facts for this order's room and SKUs, read from Postgres at most
    /// once per `FACTS_TTL` (misses that arrive together wait for one read).
    pub async fn of(&self, order: &ValidOrder) -> Result<Arc<Facts>> {
        let live_id = order.request.live_id;
        let mut skus = order.sku_ids();
        skus.sort_unstable();
        let load = self.load(live_id, skus.clone());
        self.cache.try_get_with((live_id, skus), load).await.map_err(Error::shared)
    }

    async fn load(&self, live_id: LiveId, skus: Vec<SkuId>) -> Result<Arc<Facts>> {
        let sales = rooms::sales(&mut *self.db.acquire().await?, live_id).await?;
        if matches!(sales, None | Some(Sales::Closed)) {
            return Ok(Arc::new(Facts { sales, skus: Vec::new(), rules: Vec::new() }));
        }
        let bound = stock::bound_skus(&self.db, live_id, &skus).await?;
        let rules = super::sales::rules_of(&self.db, live_id, &skus).await?;
        Ok(Arc::new(Facts { sales, skus: bound, rules }))
    }

    /// A streamer changed what the room sells or how: forget its facts here.
    pub fn forget_room(&self, live_id: LiveId) {
        if let Err(err) = self.cache.invalidate_entries_if(move |key, _| key.0 == live_id) {
            tracing::warn!(error = %err, %live_id, "sale facts not dropped; they expire within a second");
        }
    }
}
