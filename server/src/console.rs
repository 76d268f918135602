//! The `Console` port: the streamer's operations, shared by the console's
//! server functions and the JSON API. Checks the role here; ownership is
//! checked by each operation inside its transaction.

use std::sync::Arc;

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId, SpuId},
    model::{
        Binding, ConsoleRoom, NewGoods, NewRoom, Role, Room, RoomSummary, SaleInfo, SessionUser, SkuDetail, SpuDetail,
        SyncFailure,
    },
    ports::Console,
};
use sqlx::PgPool;

use crate::{
    bindings,
    events::relay::Relay,
    failure::store_error,
    goods,
    goods_cache::GoodsCache,
    orders::{compensation, gate::Gate, publish::Publisher, sales},
    rooms,
};

pub struct LiveConsole {
    pub db: PgPool,
    pub relay: Arc<Relay>,
    pub goods_cache: Arc<GoodsCache>,
    pub publisher: Publisher,
    pub gate: Gate,
}

fn streamer(user: &SessionUser) -> Result<(), AppError> {
    match user.role {
        Role::Streamer => Ok(()),
        Role::Viewer => Err(AppError::Forbidden("only streamers can do this".into())),
    }
}

impl LiveConsole {
    /// Every committed change has outbox rows: wake the relay so viewers see it now.
    fn published<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        if result.is_ok() {
            self.relay.notify();
        }
        result
    }
}

#[async_trait::async_trait]
impl Console for LiveConsole {
    async fn set_sale(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        sku_id: SkuId,
        starts_at_ms: Option<i64>,
        per_user_limit: Option<i64>,
    ) -> Result<SaleInfo, AppError> {
        streamer(user)?;
        let starts_at = match starts_at_ms {
            Some(ms) => Some(chrono::DateTime::from_timestamp_millis(ms).ok_or(AppError::Invalid(Reason::SaleStart))?),
            None => None,
        };
        let rule = sales::set(&self.db, user.user_id, live_id, sku_id, starts_at, per_user_limit).await?;
        self.relay.notify();
        Ok(SaleInfo {
            sku_id,
            starts_at_ms: rule.starts_at.map(|t| t.timestamp_millis()),
            per_user_limit: rule.per_user_limit.map(i64::from),
        })
    }

    async fn sync_failures(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<Vec<SyncFailure>, AppError> {
        streamer(user)?;
        compensation::failures_of(&self.db, user.user_id, live_id).await
    }

    async fn retry_sync_failure(&self, user: &SessionUser, id: i64) -> Result<(), AppError> {
        streamer(user)?;
        compensation::retry_now(&self.db, &self.publisher, user.user_id, id).await
    }

    async fn my_rooms(&self, user: &SessionUser) -> Result<Vec<RoomSummary>, AppError> {
        streamer(user)?;
        let mut conn = self.db.acquire().await.map_err(store_error)?;
        rooms::owned_by(&mut conn, user.user_id).await.map_err(store_error)
    }

    async fn create_room(&self, user: &SessionUser, new: NewRoom) -> Result<Room, AppError> {
        streamer(user)?;
        rooms::create(&self.db, user.user_id, &new).await
    }

    async fn console_room(&self, user: &SessionUser, live_id: LiveId) -> Result<ConsoleRoom, AppError> {
        streamer(user)?;
        let mut conn = self.db.acquire().await.map_err(store_error)?;
        let (room, _) = rooms::find_with_version(&mut conn, live_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| AppError::not_found("live room"))?;
        if room.owner_id != user.user_id.get() {
            return Err(AppError::forbidden());
        }
        let bound = rooms::goods_cards(&mut conn, live_id).await.map_err(store_error)?;
        drop(conn);
        let catalog = goods::owned_by(&self.db, user.user_id).await?;
        Ok(ConsoleRoom { room, bound, catalog })
    }

    async fn create_goods(&self, user: &SessionUser, new: NewGoods) -> Result<SpuDetail, AppError> {
        streamer(user)?;
        goods::create(&self.db, user.user_id, &new).await
    }

    async fn goods_of(&self, user: &SessionUser) -> Result<Vec<SpuDetail>, AppError> {
        streamer(user)?;
        goods::owned_by(&self.db, user.user_id).await
    }

    async fn set_stock(
        &self,
        user: &SessionUser,
        spu_id: SpuId,
        sku_id: SkuId,
        stock: i64,
    ) -> Result<SkuDetail, AppError> {
        streamer(user)?;
        let (sku, rooms) = goods::set_stock(&self.db, user.user_id, spu_id, sku_id, stock).await?;
        self.goods_cache.invalidate(spu_id).await;
        // The flash-sale gate follows the record: a restock can be sold at once.
        for live_id in rooms {
            if let Err(err) = compensation::reconcile_sku(&self.db, &self.gate, live_id, sku_id).await {
                tracing::warn!(error = ?err, %live_id, %sku_id, "gate stock not reset; reconcile-stock will");
            }
        }
        self.published(Ok(sku))
    }

    async fn bind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<Binding, AppError> {
        streamer(user)?;
        self.published(bindings::bind(&self.db, user.user_id, live_id, spu_id).await)
    }

    async fn unbind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<(), AppError> {
        streamer(user)?;
        self.published(bindings::unbind(&self.db, user.user_id, live_id, spu_id).await)
    }

    async fn reorder(&self, user: &SessionUser, live_id: LiveId, spu_ids: Vec<SpuId>) -> Result<Vec<SpuId>, AppError> {
        streamer(user)?;
        self.published(bindings::reorder(&self.db, user.user_id, live_id, &spu_ids).await)
    }

    async fn explain(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        spu_id: Option<SpuId>,
    ) -> Result<Option<SpuId>, AppError> {
        streamer(user)?;
        self.published(bindings::explain(&self.db, user.user_id, live_id, spu_id).await)
    }
}
