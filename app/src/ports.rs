//! Ports: the services the UI's server functions need, as traits. `server`
//! implements them over Postgres and Redis and provides them through Leptos
//! context, so `app` never depends on sqlx or redis. The JSON API calls the
//! same implementations: a browser, a webview and an app reach one code path.
//!
//! No port sees a transport type: the server resolves each request's session
//! once and hands it over as a [`Session`], which also owns the browser's
//! session cookie.

use std::sync::Arc;

use leptos::prelude::use_context;

use crate::{
    error::AppError,
    ids::{LiveId, SkuId, SpuId},
    live_center::Dashboard,
    model::{
        AuthReply, Binding, ConsoleRoom, DeadLetter, GoodsPage, NewGoods, NewRoom, OrderReceipt, OrderRequest,
        PaymentStarted, PlacedOrder, Replay, Role, Room, RoomSummary, RoomView, SaleInfo, SessionUser, SkuDetail,
        SpuDetail, StreamKey, SyncFailure,
    },
};

/// Reads rooms and their bound goods (what viewers see).
#[async_trait::async_trait]
pub trait Catalog: Send + Sync + 'static {
    async fn live_rooms(&self) -> Result<Vec<RoomSummary>, AppError>;
    /// Rooms scheduled to go live that have not started, soonest first.
    async fn upcoming_rooms(&self) -> Result<Vec<RoomSummary>, AppError>;
    /// A room's product timeline and recorded segments (`None`: no such room).
    async fn replay(&self, live_id: LiveId) -> Result<Option<Replay>, AppError>;
    /// `None` for a room that does not exist.
    async fn room_view(&self, live_id: LiveId) -> Result<Option<RoomView>, AppError>;
    /// The web goods page's data; `None` for unknown goods.
    async fn goods_page(&self, spu_id: SpuId, live_id: Option<LiveId>) -> Result<Option<GoodsPage>, AppError>;
}

/// The session of the request being served: who is signed in (looked up at
/// most once per request), and signing in, registering and out, which also
/// start or end the browser's session.
#[async_trait::async_trait]
pub trait Session: Send + Sync + 'static {
    async fn user(&self) -> Result<Option<SessionUser>, AppError>;
    async fn register(&self, username: &str, password: &str, role: Role) -> Result<AuthReply, AppError>;
    async fn login(&self, username: &str, password: &str) -> Result<AuthReply, AppError>;
    async fn logout(&self) -> Result<(), AppError>;
}

/// The request's [`Session`], as the server attaches it to every request.
#[derive(Clone)]
pub struct CurrentSession(pub Arc<dyn Session>);

/// What a streamer does in the console. Every call checks that `user` is a
/// streamer and owns the room or goods it touches.
#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    async fn my_rooms(&self, user: &SessionUser) -> Result<Vec<RoomSummary>, AppError>;
    async fn create_room(&self, user: &SessionUser, new: NewRoom) -> Result<Room, AppError>;
    async fn console_room(&self, user: &SessionUser, live_id: LiveId) -> Result<ConsoleRoom, AppError>;
    async fn create_goods(&self, user: &SessionUser, new: NewGoods) -> Result<SpuDetail, AppError>;
    /// The streamer's own products, newest first.
    async fn goods_of(&self, user: &SessionUser) -> Result<Vec<SpuDetail>, AppError>;
    async fn set_stock(
        &self,
        user: &SessionUser,
        spu_id: SpuId,
        sku_id: SkuId,
        stock: i64,
    ) -> Result<SkuDetail, AppError>;
    async fn bind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<Binding, AppError>;
    async fn unbind(&self, user: &SessionUser, live_id: LiveId, spu_id: SpuId) -> Result<(), AppError>;
    async fn reorder(&self, user: &SessionUser, live_id: LiveId, spu_ids: Vec<SpuId>) -> Result<Vec<SpuId>, AppError>;
    async fn explain(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        spu_id: Option<SpuId>,
    ) -> Result<Option<SpuId>, AppError>;
    /// Ends a live room: it leaves the home page and takes no more orders.
    async fn end_room(&self, user: &SessionUser, live_id: LiveId) -> Result<Room, AppError>;
    /// A new stream key for the owner's room (the old one stops working).
    async fn stream_key(&self, user: &SessionUser, live_id: LiveId) -> Result<StreamKey, AppError>;
    /// Events of the streamer's rooms that no consumer could handle (one room, or all).
    async fn dead_letters(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<Vec<DeadLetter>, AppError>;
    /// Puts every waiting dead letter of the streamer's rooms (one room, or all)
    /// back on its stream; returns how many.
    async fn retry_dead_letters(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<u64, AppError>;
    /// Failed order-event publishes of the streamer's rooms (one room, or all).
    async fn sync_failures(&self, user: &SessionUser, live_id: Option<LiveId>) -> Result<Vec<SyncFailure>, AppError>;
    /// Re-pushes one failed publish now.
    async fn retry_sync_failure(&self, user: &SessionUser, id: i64) -> Result<(), AppError>;
    /// Sets (or clears) a SKU's flash-sale start (Unix ms) and per-user limit in a room.
    async fn set_sale(
        &self,
        user: &SessionUser,
        live_id: LiveId,
        sku_id: SkuId,
        starts_at_ms: Option<i64>,
        per_user_limit: Option<i64>,
    ) -> Result<SaleInfo, AppError>;
    /// The live center of one of the streamer's rooms.
    async fn dashboard(&self, user: &SessionUser, live_id: LiveId) -> Result<Dashboard, AppError>;
}

/// Placing orders for the signed-in user (the same path as `POST /api/orders`).
#[async_trait::async_trait]
pub trait Ordering: Send + Sync + 'static {
    async fn place(
        &self,
        user: &SessionUser,
        idempotency_key: &str,
        request: OrderRequest,
    ) -> Result<PlacedOrder, AppError>;
    /// The order for its owner; `None` for anyone else (never a 403 that confirms it exists).
    async fn order(&self, user: &SessionUser, order_sn: &str) -> Result<Option<OrderReceipt>, AppError>;
    /// The user's orders, newest first.
    async fn my_orders(&self, user: &SessionUser) -> Result<Vec<OrderReceipt>, AppError>;
    /// Hands an unpaid order to the payment provider; it confirms asynchronously.
    async fn pay(&self, user: &SessionUser, order_sn: &str) -> Result<PaymentStarted, AppError>;
    /// Cancels an unpaid order; its stock returns.
    async fn cancel(&self, user: &SessionUser, order_sn: &str) -> Result<OrderReceipt, AppError>;
}

/// Every port, provided once per request by the server.
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<dyn Catalog>,
    pub console: Arc<dyn Console>,
    pub ordering: Arc<dyn Ordering>,
}

/// The services the server provided; `Unavailable` if none were (a bug, logged by the caller).
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or(AppError::Unavailable)
}

/// The session of the request this server function serves.
pub async fn session() -> Result<Arc<dyn Session>, AppError> {
    let axum::Extension(CurrentSession(session)) =
        leptos_axum::extract::<axum::Extension<CurrentSession>>().await.map_err(|_| AppError::Unavailable)?;
    Ok(session)
}
