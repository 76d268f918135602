//! Ordering from the web goods page: a server function onto the `Ordering`
//! port, the same code path as `POST /api/orders`.

use leptos::prelude::*;

use crate::{
    error::AppError,
    ids::{LiveId, SkuId},
    model::OrderReceipt,
};

/// Places an order of one SKU for the signed-in viewer. `idempotency_key` is
/// minted per purchase attempt by the page, so a double tap or a retried
/// request never makes a second order.
#[server(endpoint = "orders/place")]
pub async fn place_order(
    live_id: LiveId,
    sku_id: SkuId,
    quantity: i64,
    tracking_code: Option<String>,
    trace_id: Option<String>,
    idempotency_key: String,
) -> Result<OrderReceipt, AppError> {
    let user = crate::session::require_user().await?;
    let request = crate::model::OrderRequest {
        live_id,
        goods_items: vec![crate::model::OrderItem { sku_id, quantity }],
        tracking_code: tracking_code.filter(|c| !c.is_empty()),
        trace_id: trace_id.filter(|c| !c.is_empty()),
    };
    Ok(crate::ports::services()?.ordering.place(&user, &idempotency_key, request).await?.receipt)
}
