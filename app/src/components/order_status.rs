//! An order's status as a badge (unpaid, paid, expired, cancelled), and the
//! "pay within mm:ss" countdown of an unpaid order.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::{
    components::countdown::{format_left, ticking_now},
    i18n::*,
    model::OrderStatus,
};

/// The status in the reader's words.
pub fn status_text(i18n: I18nContext<Locale>, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => t_string!(i18n, status_created),
        OrderStatus::Paid => t_string!(i18n, status_paid),
        OrderStatus::Expired => t_string!(i18n, status_expired),
        OrderStatus::Cancelled => t_string!(i18n, status_cancelled),
    }
}

#[component]
pub fn StatusBadge(status: OrderStatus) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("state order-{}", status.as_str()) data-testid="order-status">
            {move || status_text(i18n, status)}
        </span>
    }
}

/// Time left to pay, ticking every second in the browser.
#[component]
pub fn PayBy(pay_by_ms: i64) -> impl IntoView {
    let i18n = use_i18n();
    let now = ticking_now();
    move || {
        let left = pay_by_ms - now.get();
        let text = if left > 0 {
            t_string!(i18n, pay_within, time = format_left(left)).to_string()
        } else {
            t_string!(i18n, pay_time_up).to_string()
        };
        view! { <span class="pay-by" data-testid="pay-by">{text}</span> }
    }
}
