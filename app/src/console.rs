//! Server functions of the streamer console: thin adapters onto the `Console`
//! port, each for the signed-in user.

// The create-goods form posts flat fields (it works without JavaScript), so its
// server function takes one argument per field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::{
    error::AppError,
    ids::{LiveId, SkuId, SpuId},
    model::{ConsoleRoom, RoomSummary, SessionUser, SpuDetail},
};

#[cfg(feature = "ssr")]
use crate::{error::Reason, ports::services, session::require_user};

/// What `/console` shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Overview {
    pub user: SessionUser,
    pub rooms: Vec<RoomSummary>,
    pub goods: Vec<SpuDetail>,
}

#[server(endpoint = "console/overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    let user = require_user().await?;
    let console = services()?.console;
    let rooms = console.my_rooms(&user).await?;
    let goods = console.goods_of(&user).await?;
    Ok(Overview { user, rooms, goods })
}

#[server(endpoint = "console/create-room")]
pub async fn create_room(
    title: String,
    stream_url: Option<String>,
    starts_in_minutes: Option<String>,
) -> Result<LiveId, AppError> {
    let user = require_user().await?;
    let minutes = match starts_in_minutes.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| AppError::Invalid(Reason::ScheduleRange))?),
    };
    if minutes.is_some_and(|m| !(1..=527_040).contains(&m)) {
        return Err(AppError::Invalid(Reason::ScheduleRange));
    }
    let scheduled_at = minutes.map(|m| crate::clock::rfc3339_utc(crate::components::countdown::now_ms() + m * 60_000));
    let new = crate::model::NewRoom { title, stream_url: stream_url.filter(|s| !s.trim().is_empty()), scheduled_at };
    let room = services()?.console.create_room(&user, new).await?;
    Ok(room.live_id)
}

/// Creates a product from the console form: up to three SKU rows, blank rows skipped.
#[server(endpoint = "console/create-goods")]
pub async fn create_goods(
    title: String,
    description: Option<String>,
    cover_url: Option<String>,
    spec_1: Option<String>,
    price_1: Option<String>,
    stock_1: Option<String>,
    spec_2: Option<String>,
    price_2: Option<String>,
    stock_2: Option<String>,
) -> Result<SpuId, AppError> {
    let user = require_user().await?;
    let rows = [(spec_1, price_1, stock_1), (spec_2, price_2, stock_2)];
    let mut skus = Vec::new();
    for (spec, price, stock) in rows {
        let spec = spec.unwrap_or_default();
        if spec.trim().is_empty() {
            continue;
        }
        let price_cents = crate::money::parse_yuan(price.as_deref().unwrap_or_default())
            .ok_or(AppError::Invalid(Reason::PriceFormat))?;
        let stock = stock
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::Invalid(Reason::StockFormat))?;
        skus.push(crate::model::NewSku { spec, price_cents, stock });
    }
    let new =
        crate::model::NewGoods { title, description, cover_url: cover_url.filter(|s| !s.trim().is_empty()), skus };
    Ok(services()?.console.create_goods(&user, new).await?.spu_id)
}

#[server(endpoint = "console/room")]
pub async fn get_console_room(live_id: LiveId) -> Result<ConsoleRoom, AppError> {
    let user = require_user().await?;
    services()?.console.console_room(&user, live_id).await
}

#[server(endpoint = "console/bind")]
pub async fn bind_goods(live_id: LiveId, spu_id: SpuId) -> Result<(), AppError> {
    let user = require_user().await?;
    services()?.console.bind(&user, live_id, spu_id).await.map(|_| ())
}

#[server(endpoint = "console/unbind")]
pub async fn unbind_goods(live_id: LiveId, spu_id: SpuId) -> Result<(), AppError> {
    let user = require_user().await?;
    services()?.console.unbind(&user, live_id, spu_id).await
}

/// Moves a bound product one place up (`up`) or down in the room's order.
#[server(endpoint = "console/move")]
pub async fn move_goods(live_id: LiveId, spu_id: SpuId, up: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    let console = services()?.console;
    let room = console.console_room(&user, live_id).await?;
    let mut order: Vec<SpuId> = room.bound.iter().map(|c| c.spu_id).collect();
    let Some(at) = order.iter().position(|s| *s == spu_id) else {
        return Err(AppError::not_found("binding of these goods in the room"));
    };
    let to = if up { at.checked_sub(1) } else { Some(at + 1).filter(|i| *i < order.len()) };
    if let Some(to) = to {
        order.swap(at, to);
        console.reorder(&user, live_id, order).await?;
    }
    Ok(())
}

#[server(endpoint = "console/explain")]
pub async fn explain_goods(live_id: LiveId, spu_id: Option<SpuId>) -> Result<(), AppError> {
    let user = require_user().await?;
    services()?.console.explain(&user, live_id, spu_id).await.map(|_| ())
}

#[server(endpoint = "console/stock")]
pub async fn set_sku_stock(spu_id: SpuId, sku_id: SkuId, stock: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let stock = stock.trim().parse::<i64>().map_err(|_| AppError::Invalid(Reason::StockFormat))?;
    services()?.console.set_stock(&user, spu_id, sku_id, stock).await.map(|_| ())
}

/// Failed order-event publishes of one of the streamer's rooms.
#[server(endpoint = "console/sync-failures")]
pub async fn get_sync_failures(live_id: LiveId) -> Result<Vec<crate::model::SyncFailure>, AppError> {
    let user = require_user().await?;
    services()?.console.sync_failures(&user, Some(live_id)).await
}

#[server(endpoint = "console/sync-failures/retry")]
pub async fn retry_sync_failure(id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    services()?.console.retry_sync_failure(&user, id).await
}

/// A new stream key for the room, shown once (the old key stops working).
#[server(endpoint = "console/stream-key")]
pub async fn new_stream_key(live_id: LiveId) -> Result<crate::model::StreamKey, AppError> {
    let user = require_user().await?;
    services()?.console.stream_key(&user, live_id).await
}

/// Ends the room's live show: it leaves the home page and takes no more orders.
#[server(endpoint = "console/end-room")]
pub async fn end_room(live_id: LiveId) -> Result<(), AppError> {
    let user = require_user().await?;
    services()?.console.end_room(&user, live_id).await.map(|_| ())
}

/// Events of one of the streamer's rooms that no consumer could handle.
#[server(endpoint = "console/dead-letters")]
pub async fn get_dead_letters(live_id: LiveId) -> Result<Vec<crate::model::DeadLetter>, AppError> {
    let user = require_user().await?;
    services()?.console.dead_letters(&user, Some(live_id)).await
}

/// Puts every waiting dead letter of the room back on its stream.
#[server(endpoint = "console/dead-letters/retry")]
pub async fn retry_dead_letters(live_id: LiveId) -> Result<u64, AppError> {
    let user = require_user().await?;
    services()?.console.retry_dead_letters(&user, Some(live_id)).await
}

/// Sets a SKU's flash sale in a room from the console form: a start in so many
/// minutes from now (blank: none) and a per-person limit (blank: none).
#[server(endpoint = "console/sale")]
pub async fn set_sku_sale(
    live_id: LiveId,
    sku_id: SkuId,
    starts_in_minutes: Option<String>,
    per_user_limit: Option<String>,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let number = |value: Option<String>, reason: Reason| -> Result<Option<i64>, AppError> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| AppError::Invalid(reason)),
        }
    };
    let minutes = number(starts_in_minutes, Reason::SaleStart)?;
    if minutes.is_some_and(|m| !(0..=10_080).contains(&m)) {
        return Err(AppError::Invalid(Reason::SaleStart));
    }
    let starts_at_ms = minutes.map(|m| crate::components::countdown::now_ms() + m * 60_000);
    let limit = number(per_user_limit, Reason::LimitRange)?;
    services()?.console.set_sale(&user, live_id, sku_id, starts_at_ms, limit).await.map(|_| ())
}
