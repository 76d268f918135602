//! The streamer's console: every operation a streamer performs, behind the
//! `Console` port (the console's server functions) and the JSON API alike.
//! The role is checked here; ownership by each operation inside its
//! transaction. This is the edge where domain errors become `AppError`.

use std::sync::Arc;

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId, SpuId},
    live_center::Dashboard,
    model::{
        Binding, ConsoleRoom, DeadLetter, NewGoods, NewRoom, Role, Room, RoomSummary, SaleInfo, SessionUser, SkuDetail,
        SpuDetail, StreamKey, SyncFailure,
    },
};
use sqlx::PgPool;

use crate::{
    auth::{Limit, RateLimiter, GOODS_PER_ACCOUNT, ROOMS_PER_ACCOUNT},
    cache::GoodsCache,
    compensation,
    error::Result,
    events::{self, Publisher, Relay},
    goods,
    orders::{self, SaleFacts},
    rooms,
    startup::redis::Redis,
    stats,
    stock::{self, StockGate},
    video::{self, VideoUrls},
};

pub struct Console {
    db: PgPool,
    redis: Redis,
    relay: Relay,
    goods_cache: Arc<GoodsCache>,
    publisher: Publisher,
    stock: Arc<StockGate>,
    limiter: RateLimiter,
    facts: SaleFacts,
    video: VideoUrls,
}

/// What `Console` is built from.
pub struct ConsoleParts {
    pub db: PgPool,
    pub redis: Redis,
    pub relay: Relay,
    pub goods_cache: Arc<GoodsCache>,
    pub publisher: Publisher,
    pub stock: Arc<StockGate>,
    pub limiter: RateLimiter,
    /// Dropped for a room this process changes (orders see it at once here).
    pub facts: SaleFacts,
    /// Where rooms' streams go in and come out.
    pub video: VideoUrls,
}

fn streamer(user: &SessionUser) -> Result<(), AppError> {
    match user.role {
        Role::Streamer => Ok(()),
        Role::Viewer => Err(AppError::Forbidden("only streamers can do this".into())),
    }
}

impl Console {
    pub fn new(parts: ConsoleParts) -> Self {
        let ConsoleParts { db, redis, relay, goods_cache, publisher, stock, limiter, facts, video } = parts;
        Self { db, redis, relay, goods_cache, publisher, stock, limiter, facts, video }
    }

    /// Counts one use of a per-account quota; `rate_limited` past it.
    async fn quota(&self, user: &SessionUser, scope: &str, limit: Limit) -> Result<(), AppError> {
        self.limiter.hit(scope, &user.user_id.to_string(), limit).await
    }

    /// A bound product can be sold at once: its counters in the room start
    /// from the record (a product bound before, restocked while unbound and
    /// bound again would otherwise keep the old counter). A failure is left
    /// to the periodic reconciler.
    async fn open_gate(&self, live_id: LiveId, spu_id: SpuId) {
        let corrected = match stock::skus_of(&self.db, spu_id).await {
            Ok(skus) => self.stock.reconcile_room(live_id, Some(&skus)).await.map(|_| ()),
            Err(err) => Err(err),
        };
        if let Err(err) = corrected {
            tracing::warn!(error = %err, %live_id, %spu_id, "gate stock not corrected on bind; the reconciler will");
        }
    }

    /// A committed change wrote outbox rows: wake the relay so viewers see it now.
    fn published<T>(&self, result: Result<T>) -> Result<T, AppError> {
        if result.is_ok() {
            self.relay.notify();
        }
        Ok(result?)
    }

    async fn load_console_room(&self, user: &SessionUser, live_id: LiveId) -> Result<ConsoleRoom> {
        let mut conn = self.db.acquire().await?;
        let (room, _) = rooms::find_with_version(&mut conn, &self.video, live_id)
            .await?
            .ok_or_else(|| AppError::not_found("live room"))?;
        if room.owner_id != user.user_id.get() {
            return Err(AppError::forbidden().into());
        }
        let bound = rooms::goods_cards(&mut conn, live_id).await?;
        drop(conn);
        let catalog = goods::owned_by(&self.db, user.user_id).await?;
        Ok(ConsoleRoom { room, bound, catalog })
    }

    async fn change_stock(&self, user: &SessionUser, spu_id: SpuId, sku_id: SkuId, stock: i64) -> Result<SkuDetail> {
        let (sku, rooms) = stock::set(&self.db, user.user_id, spu_id, sku_id, stock).await?;
        self.goods_cache.invalidate(spu_id).await;
        // The flash-sale gate follows the record: a restock can be sold at once.
        for live_id in rooms {
            if let Err(err) = self.stock.reconcile_room(live_id, Some(&[sku_id])).await {
                tracing::warn!(error = %err, %live_id, %sku_id, "gate stock not corrected; the reconciler will");
            }
        }
        Ok(sku)
    }
}

#[async_trait::async_trait]
impl app::ports::Console for Console {
    async fn set_sale(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        sku_id: SkuId,
        starts_at_ms: Option<i64>,
        per_user_limit: Option<i64>,
    ) -> Result<SaleInfo, AppError> {
        streamer(user)?;
        let starts_at = starts_at_ms
            .map(|ms| chrono::DateTime::from_timestamp_millis(ms).ok_or(AppError::Invalid(Reason::SaleStart)))
            .transpose()?;
        let rule =
            self.published(orders::set_sale(&self.db, user.user_id, live_id, sku_id, starts_at, per_user_limit).await)?;
        self.facts.forget_room(live_id);
        Ok(SaleInfo {
            sku_id,
            starts_at_ms: rule.starts_at.map(|t| t.timestamp_millis()),
            per_user_limit: rule.per_user_limit.map(i64::from),
        })
    }

    async fn sync_failures(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<Vec<SyncFailure>, AppError> {
        streamer(user)?;
        Ok(compensation::failures_of(&self.db, user.user_id, live_id).await?)
    }

    async fn retry_sync_failure(&self, user: &SessionUser, id: i64) -> Result<(), AppError> {
        streamer(user)?;
        Ok(compensation::retry_now(&self.db, &self.publisher, user.user_id, id).await?)
    }

    async fn my_rooms(&self, user: &SessionUser) -> Result<Vec<RoomSummary>, AppError> {
        streamer(user)?;
        let mut conn = self.db.acquire().await.map_err(crate::error::Error::from)?;
        Ok(rooms::owned_by(&mut conn, user.user_id).await?)
    }

    async fn create_room(&self, user: &SessionUser, new: NewRoom) -> Result<Room, AppError> {
        streamer(user)?;
        self.quota(user, "rooms", ROOMS_PER_ACCOUNT).await?;
        Ok(rooms::create(&self.db, &self.video, user.user_id, &new).await?)
    }

    async fn end_room(&self, user: &SessionUser, live_id: LiveId) -> Result<Room, AppError> {
        streamer(user)?;
        let ended = self.published(rooms::end(&self.db, &self.video, user.user_id, live_id).await);
        self.facts.forget_room(live_id);
        ended
    }

    async fn stream_key(&self, user: &SessionUser, live_id: LiveId) -> Result<StreamKey, AppError> {
        streamer(user)?;
        let stream_key = video::rotate(&self.db, user.user_id, live_id).await?;
        Ok(StreamKey { stream_key, rtmp_url: self.video.rtmp.clone() })
    }

    async fn dead_letters(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<Vec<DeadLetter>, AppError> {
        streamer(user)?;
        Ok(events::dead_letters(&self.db, user.user_id, live_id).await?)
    }

    async fn retry_dead_letters(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<u64, AppError> {
        streamer(user)?;
        Ok(events::replay_dead_letters(&self.db, &self.redis, user.user_id, live_id).await?)
    }

    async fn console_room(&self, user: &SessionUser, live_id: LiveId) -> Result<ConsoleRoom, AppError> {
        streamer(user)?;
        Ok(self.load_console_room(user, live_id).await?)
    }

    async fn create_goods(&self, user: &SessionUser, new: NewGoods) -> Result<SpuDetail, AppError> {
        streamer(user)?;
        self.quota(user, "goods", GOODS_PER_ACCOUNT).await?;
        Ok(goods::create(&self.db, user.user_id, &new).await?)
    }

    async fn goods_of(&self, user: &SessionUser) -> Result<Vec<SpuDetail>, AppError> {
        streamer(user)?;
        Ok(goods::owned_by(&self.db, user.user_id).await?)
    }

    async fn set_stock(
        &self,
        user: &SessionUser,
        spu_id: SpuId,
        sku_id: SkuId,
        stock: i64,
    ) -> Result<SkuDetail, AppError> {
        streamer(user)?;
        self.published(self.change_stock(user, spu_id, sku_id, stock).await)
    }

    async fn bind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<Binding, AppError> {
        streamer(user)?;
        let binding = self.published(rooms::bind(&self.db, user.user_id, live_id, spu_id).await)?;
        self.facts.forget_room(live_id);
        self.open_gate(live_id, spu_id).await;
        Ok(binding)
    }

    async fn unbind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<(), AppError> {
        streamer(user)?;
        let unbound = self.published(rooms::unbind(&self.db, user.user_id, live_id, spu_id).await);
        self.facts.forget_room(live_id);
        unbound
    }

    async fn reorder(&self, user: &SessionUser, live_id: LiveId, spu_ids: Vec<SpuId>) -> Result<Vec<SpuId>, AppError> {
        streamer(user)?;
        self.published(rooms::reorder(&self.db, user.user_id, live_id, &spu_ids).await)
    }

    async fn explain(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        spu_id: Option<SpuId>,
    ) -> Result<Option<SpuId>, AppError> {
        streamer(user)?;
        self.published(rooms::explain(&self.db, user.user_id, live_id, spu_id).await)
    }

    async fn dashboard(&self, user: &SessionUser, live_id: LiveId) -> Result<Dashboard, AppError> {
        streamer(user)?;
        rooms::check_owner(&self.db, live_id, user.user_id).await?;
        Ok(stats::dashboard(&self.db, &self.redis, live_id).await?)
    }
}
