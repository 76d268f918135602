//! What a buyer can do with an unpaid order, wherever it is shown (the goods
//! page after ordering, "my orders"): pay through the sandbox provider or
//! cancel. Payment is confirmed asynchronously by the provider, so after
//! "Pay" the order is re-read every [`POLL_EVERY_MS`] until it is no longer
//! unpaid, for up to [`POLL_ATTEMPTS`] reads; then the page says the
//! confirmation is still on its way instead of spinning forever.

use leptos::prelude::*;

use crate::{
    checkout::{cancel_order, get_order, pay_order},
    clock::parse_rfc3339_ms,
    components::{
        notice::ErrorNotice,
        order_status::{PayBy, StatusBadge},
    },
    error::AppError,
    i18n::*,
    model::{OrderReceipt, OrderStatus},
};

/// How often an order being paid is re-read.
pub const POLL_EVERY_MS: u64 = 500;
/// How many re-reads before giving up (about ten seconds).
pub const POLL_ATTEMPTS: u32 = 20;

/// What the buyer's last action is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    Paying,
    Cancelling,
}

/// One order on a page and the state of the buyer's actions on it. Signals
/// only, so it is `Copy` and may live above components that re-render (the
/// goods page re-reads its product after an order).
#[derive(Clone, Copy)]
pub struct TrackedOrder {
    pub order: RwSignal<Option<OrderReceipt>>,
    busy: RwSignal<Option<Busy>>,
    error: RwSignal<Option<AppError>>,
    /// The provider had not confirmed by the end of polling.
    unconfirmed: RwSignal<bool>,
}

impl TrackedOrder {
    pub fn new(order: Option<OrderReceipt>) -> Self {
        Self {
            order: RwSignal::new(order),
            busy: RwSignal::new(None),
            error: RwSignal::new(None),
            unconfirmed: RwSignal::new(false),
        }
    }

    /// Shows `receipt`, unless this order is shown already (its status may have moved on).
    pub fn show(self, receipt: OrderReceipt) {
        let same = self.order.with_untracked(|o| o.as_ref().is_some_and(|o| o.order_sn == receipt.order_sn));
        if !same {
            self.order.set(Some(receipt));
            self.busy.set(None);
            self.error.set(None);
            self.unconfirmed.set(false);
        }
    }

    fn order_sn(self) -> Option<String> {
        self.order.try_with_untracked(|o| o.as_ref().map(|o| o.order_sn.clone())).flatten()
    }

    fn pay(self) {
        let Some(order_sn) = self.order_sn() else { return };
        self.busy.set(Some(Busy::Paying));
        self.error.set(None);
        self.unconfirmed.set(false);
        leptos::task::spawn_local(async move {
            match pay_order(order_sn.clone()).await {
                Ok(started) if started.status == OrderStatus::Created => self.poll(order_sn, POLL_ATTEMPTS),
                // Already settled (a provider that confirms at once, or paid meanwhile).
                Ok(_) => self.reread(order_sn).await,
                Err(error) => {
                    self.error.try_set(Some(error));
                    // The refusal may mean it changed meanwhile (expired, paid in another tab).
                    self.reread(order_sn).await;
                }
            }
        });
    }

    fn cancel(self) {
        let Some(order_sn) = self.order_sn() else { return };
        self.busy.set(Some(Busy::Cancelling));
        self.error.set(None);
        leptos::task::spawn_local(async move {
            match cancel_order(order_sn.clone()).await {
                Ok(receipt) => {
                    self.order.try_set(Some(receipt));
                    self.busy.try_set(None);
                }
                Err(error) => {
                    self.error.try_set(Some(error));
                    self.reread(order_sn).await;
                }
            }
        });
    }

    /// Reads the order once more and ends the action.
    async fn reread(self, order_sn: String) {
        if let Ok(receipt) = get_order(order_sn).await {
            self.order.try_set(Some(receipt));
        }
        self.busy.try_set(None);
    }

    /// Re-reads the order until the provider's confirmation shows, or gives up.
    fn poll(self, order_sn: String, attempts_left: u32) {
        later(POLL_EVERY_MS, move || {
            leptos::task::spawn_local(async move {
                let read = get_order(order_sn.clone()).await;
                match read {
                    Ok(receipt) if receipt.status != OrderStatus::Created => {
                        self.order.try_set(Some(receipt));
                        self.busy.try_set(None);
                    }
                    _ if attempts_left > 1 => self.poll(order_sn, attempts_left - 1),
                    _ => {
                        self.unconfirmed.try_set(true);
                        self.busy.try_set(None);
                    }
                }
            });
        });
    }
}

/// Runs `f` after `ms` milliseconds. Only a click starts a payment, and
/// clicks happen in the browser: the server never gets here.
fn later(ms: u64, f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    set_timeout(f, std::time::Duration::from_millis(ms));
    #[cfg(not(feature = "hydrate"))]
    let _ = (ms, f);
}

/// The order's status and, while it is unpaid, the time left, "Pay" (named
/// as the sandbox it is) and "Cancel".
#[component]
pub fn OrderActions(tracked: TrackedOrder) -> impl IntoView {
    let i18n = use_i18n();
    let TrackedOrder { order, busy, error, unconfirmed } = tracked;
    let status = move || order.with(|o| o.as_ref().map(|o| o.status));
    let pay_by = move || order.with(|o| o.as_ref().and_then(|o| o.pay_by.as_deref()).and_then(parse_rfc3339_ms));
    view! {
        <div class="order-actions">
            {move || status().map(|s| view! { <StatusBadge status=s/> })}
            {move || (status() == Some(OrderStatus::Created)).then(|| view! {
                {pay_by().map(|at| view! { <PayBy pay_by_ms=at/> })}
                <div class="pay-line">
                    <button class="button small" data-testid="pay" disabled=move || busy.get().is_some()
                        on:click=move |_| tracked.pay()>
                        {move || if busy.get() == Some(Busy::Paying) { t_string!(i18n, paying) } else { t_string!(i18n, pay) }}
                    </button>
                    <button class="button small secondary" data-testid="cancel" disabled=move || busy.get().is_some()
                        on:click=move |_| tracked.cancel()>
                        {move || if busy.get() == Some(Busy::Cancelling) { t_string!(i18n, cancelling) } else { t_string!(i18n, cancel_order) }}
                    </button>
                    <span class="sandbox-note" data-testid="sandbox-note">{t!(i18n, sandbox_note)}</span>
                </div>
            })}
            {move || (busy.get() == Some(Busy::Paying)).then(|| view! {
                <span class="muted" role="status" data-testid="paying">{t!(i18n, paying_confirming)}</span>
            })}
            {move || unconfirmed.get().then(|| view! { <span class="muted" role="status">{t!(i18n, pay_unconfirmed)}</span> })}
            <ErrorNotice error=Signal::derive(move || error.get())/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use leptos::prelude::*;

    use super::{OrderActions, TrackedOrder};
    use crate::{
        ids::{LiveId, SkuId, UserId},
        model::{OrderItem, OrderReceipt, OrderStatus},
    };

    fn receipt(status: OrderStatus) -> OrderReceipt {
        OrderReceipt {
            order_sn: "20260304000000000042".into(),
            xid: "xid".into(),
            status,
            live_id: LiveId::new(1).unwrap(),
            user_id: UserId::new(2).unwrap(),
            goods_items: vec![OrderItem { sku_id: SkuId::new(3).unwrap(), quantity: 1 }],
            total_cents: 5_990,
            created_at: "2026-03-04T05:06:07Z".into(),
            pay_by: Some("2026-03-04T05:21:07Z".into()),
            paid_at: None,
        }
    }

    fn render(status: OrderStatus) -> String {
        crate::ssr_render::render(move || view! { <OrderActions tracked=TrackedOrder::new(Some(receipt(status)))/> })
    }

    #[test]
    fn an_unpaid_order_offers_sandbox_payment_and_cancelling() {
        let html = render(OrderStatus::Created);
        assert!(html.contains("待支付"));
        assert!(html.contains(r#"data-testid="pay""#) && html.contains(r#"data-testid="cancel""#));
        assert!(html.contains("沙盒支付（不扣真实款项）"), "the sandbox is named as such");
        assert!(html.contains(r#"data-testid="pay-by""#));
    }

    #[test]
    fn a_settled_order_offers_nothing_to_do() {
        for (status, text) in
            [(OrderStatus::Paid, "已支付"), (OrderStatus::Expired, "已超时"), (OrderStatus::Cancelled, "已取消")]
        {
            let html = render(status);
            assert!(html.contains(text), "{status}");
            assert!(!html.contains(r#"data-testid="pay""#) && !html.contains(r#"data-testid="cancel""#), "{status}");
        }
    }
}
