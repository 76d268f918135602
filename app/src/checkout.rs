//! Ordering from the web goods page: a server function onto the `Ordering`
//! port, the same code path as `POST /api/orders`, and the purchase intent
//! that keeps one idempotency key per intent until it is settled.

use leptos::prelude::*;

use crate::{
    deep_link::SourceType,
    error::AppError,
    ids::{LiveId, SkuId},
    model::{OrderReceipt, PaymentStarted},
};

/// Places an order of one SKU for the signed-in viewer. `idempotency_key` is
/// kept per purchase intent by the page ([`PurchaseIntent`]), so a double tap
/// or a retried request never makes a second order.
#[server(endpoint = "orders/place")]
pub async fn place_order(
    live_id: LiveId,
    sku_id: SkuId,
    quantity: i64,
    tracking_code: Option<String>,
    trace_id: Option<String>,
    source_type: SourceType,
    idempotency_key: String,
) -> Result<OrderReceipt, AppError> {
    let user = crate::session::require_user().await?;
    let request = crate::model::OrderRequest {
        live_id,
        goods_items: vec![crate::model::OrderItem { sku_id, quantity }],
        tracking_code: tracking_code.filter(|c| !c.is_empty()),
        trace_id: trace_id.filter(|c| !c.is_empty()),
        source_type,
    };
    Ok(crate::ports::services()?.ordering.place(&user, &idempotency_key, request).await?.receipt)
}

/// The signed-in viewer's orders, newest first ("my orders").
#[server(endpoint = "orders/mine")]
pub async fn get_my_orders() -> Result<Vec<OrderReceipt>, AppError> {
    let user = crate::session::require_user().await?;
    crate::ports::services()?.ordering.my_orders(&user).await
}

/// One of the signed-in viewer's orders; `NotFound` for anyone else's.
#[server(endpoint = "orders/one")]
pub async fn get_order(order_sn: String) -> Result<OrderReceipt, AppError> {
    let user = crate::session::require_user().await?;
    crate::ports::services()?.ordering.order(&user, &order_sn).await?.ok_or_else(|| AppError::not_found("order"))
}

/// Pays an unpaid order through the payment provider (the local sandbox:
/// no real money); the order turns `paid` when the provider confirms.
#[server(endpoint = "orders/pay")]
pub async fn pay_order(order_sn: String) -> Result<PaymentStarted, AppError> {
    let user = crate::session::require_user().await?;
    crate::ports::services()?.ordering.pay(&user, &order_sn).await
}

/// Cancels an unpaid order; its stock returns to the room.
#[server(endpoint = "orders/cancel")]
pub async fn cancel_order(order_sn: String) -> Result<OrderReceipt, AppError> {
    let user = crate::session::require_user().await?;
    crate::ports::services()?.ordering.cancel(&user, &order_sn).await
}

/// One purchase intent (a SKU and a quantity) and the idempotency key it is
/// sent under. The key stays the same until an answer settles the intent, so
/// a retry after a timeout or a dropped connection cannot make a second order;
/// choosing another SKU or quantity is another intent with a new key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurchaseIntent {
    pending: Option<(SkuId, i64, String)>,
}

impl PurchaseIntent {
    /// The key to send for buying `quantity` of `sku_id`; `mint` makes a new one.
    pub fn key_for(&mut self, sku_id: SkuId, quantity: i64, mint: impl FnOnce() -> String) -> String {
        match &self.pending {
            Some((sku, qty, key)) if *sku == sku_id && *qty == quantity => key.clone(),
            _ => {
                let key = mint();
                self.pending = Some((sku_id, quantity, key.clone()));
                key
            }
        }
    }

    /// An answer arrived: a definitive one settles the intent.
    pub fn answered(&mut self, result: &Result<OrderReceipt, AppError>) {
        if result.as_ref().map_or_else(AppError::is_definitive, |_| true) {
            self.pending = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(id: i64) -> SkuId {
        SkuId::new(id).unwrap()
    }

    #[test]
    fn a_retry_after_a_failure_in_transit_reuses_the_key_and_a_settled_intent_gets_a_new_one() {
        let mut intent = PurchaseIntent::default();
        let first = intent.key_for(sku(1), 2, || "k1".into());
        intent.answered(&Err(AppError::Transport("timed out".into())));
        assert_eq!(intent.key_for(sku(1), 2, || "k2".into()), first, "same intent, same key");
        intent.answered(&Err(AppError::SoldOut));
        assert_eq!(intent.key_for(sku(1), 2, || "k3".into()), "k3", "a definitive answer settles it");
    }

    #[test]
    fn another_sku_or_quantity_is_another_intent() {
        let mut intent = PurchaseIntent::default();
        assert_eq!(intent.key_for(sku(1), 1, || "a".into()), "a");
        assert_eq!(intent.key_for(sku(1), 3, || "b".into()), "b");
        assert_eq!(intent.key_for(sku(2), 3, || "c".into()), "c");
    }
}
