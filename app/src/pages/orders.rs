//! `/orders`: the signed-in viewer's orders, newest first, each with its
//! status, total, time and items; an unpaid one with the time left to pay,
//! "Pay" (the sandbox provider) and "Cancel". Signed out: a way to sign in
//! that comes back here.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    checkout::get_my_orders,
    clock::{date_time_text, local_times, parse_rfc3339_ms},
    components::{
        notice::ErrorNotice,
        order_actions::{OrderActions, TrackedOrder},
    },
    error::AppError,
    i18n::*,
    locale::price_style,
    model::OrderReceipt,
    money::format_price,
};

#[component]
pub fn OrdersPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = crate::codec::resource(|| (), |_| get_my_orders());
    view! {
        <Title text=move || t_string!(i18n, orders_title)/>
        <main class="orders-page">
            <h1>{t!(i18n, orders_title)}</h1>
            <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(orders) => view! { <OrderList orders/> }.into_any(),
                        Err(AppError::Unauthorized) => view! {
                            <section class="panel gate" data-testid="orders-gate">
                                <p>{t!(i18n, orders_sign_in)}</p>
                                <a class="button" href="/login?next=/orders">{t!(i18n, sign_in)}</a>
                            </section>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error=Signal::derive(move || Some(error.clone()))/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn OrderList(orders: Vec<OrderReceipt>) -> impl IntoView {
    let i18n = use_i18n();
    let local = local_times();
    view! {
        <section data-testid="my-orders">
            {orders.is_empty().then(|| view! {
                <p class="empty">{t!(i18n, orders_empty)}</p>
                <p class="center"><a class="button secondary" href="/">{t!(i18n, back_home)}</a></p>
            })}
            <ol class="rows order-list">
                {orders.into_iter().map(|order| view! { <OrderRow order local/> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn OrderRow(order: OrderReceipt, local: ReadSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let order_sn = order.order_sn.clone();
    let live_id = order.live_id;
    let items = order.goods_items.clone();
    let placed_ms = parse_rfc3339_ms(&order.created_at);
    let tracked = TrackedOrder::new(Some(order));
    let current = tracked.order;
    let status = move || current.with(|o| o.as_ref().map(|o| o.status.as_str()).unwrap_or_default());
    let total = move || current.with(|o| o.as_ref().map(|o| o.total_cents)).unwrap_or_default();
    let paid_ms = move || current.with(|o| o.as_ref().and_then(|o| o.paid_at.as_deref()).and_then(parse_rfc3339_ms));
    view! {
        <li class="row order-row" data-testid="order-row" data-order-sn=order_sn.clone() data-status=status>
            <div class="order-head">
                <span class="order-sn">{t_string!(i18n, order_number, sn = order_sn.clone()).to_string()}</span>
                <a class="link" href=format!("/live/{live_id}")>{move || t_string!(i18n, order_room, id = live_id).to_string()}</a>
            </div>
            <ul class="order-items">
                {items.into_iter().map(|item| view! {
                    <li>{move || t_string!(i18n, order_item, id = item.sku_id, n = item.quantity).to_string()}</li>
                }).collect_view()}
            </ul>
            <div class="order-meta">
                <span class="order-total" data-testid="order-total">
                    {move || t_string!(i18n, order_total, total = format_price(total(), price_style(i18n.get_locale()))).to_string()}
                </span>
                {placed_ms.map(|at| view! {
                    <span class="muted">{move || t_string!(i18n, order_placed_at, time = date_time_text(at, local.get())).to_string()}</span>
                })}
                {move || paid_ms().map(|at| view! {
                    <span class="muted">{move || t_string!(i18n, order_paid_at, time = date_time_text(at, local.get())).to_string()}</span>
                })}
            </div>
            <OrderActions tracked/>
        </li>
    }
}
