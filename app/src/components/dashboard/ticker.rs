//! The "just sold" ticker: the room's newest orders, newest first, each with
//! the tail of its order number, units, total, status and time. An order that
//! lands (or changes status) enters with a short highlight, none under
//! `prefers-reduced-motion`.

use leptos::prelude::*;

use crate::{
    clock::time_text, components::order_status::StatusBadge, i18n::*, live_center::RecentOrder, locale::price_style,
    money::format_price,
};

/// Entries shown: enough to see a burst, few enough to stay on screen.
const TICKER_ENTRIES: usize = 8;

/// The last `n` characters of an order number, which is what tells orders of
/// one day apart (they all start with the date).
pub fn sn_tail(order_sn: &str, n: usize) -> String {
    let count = order_sn.chars().count();
    if count <= n {
        order_sn.to_owned()
    } else {
        format!("…{}", order_sn.chars().skip(count - n).collect::<String>())
    }
}

#[component]
pub fn Ticker(#[prop(into)] orders: Signal<Vec<RecentOrder>>, local: ReadSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let shown = move || orders.with(|list| list.iter().take(TICKER_ENTRIES).cloned().collect::<Vec<_>>());
    view! {
        <section class="ticker-box" aria-labelledby="ticker-title">
            <h3 id="ticker-title" class="chart-title">{t!(i18n, ticker_title)}</h3>
            {move || orders.with(Vec::is_empty).then(|| view! { <p class="empty small">{t!(i18n, ticker_empty)}</p> })}
            <ol class="ticker" role="log" data-testid="ticker">
                <For each=shown key=|o| (o.order_sn.clone(), o.status) let:order>
                    {
                        let units: i64 = order.goods_items.iter().map(|i| i.quantity).sum();
                        let total = order.total_cents;
                        let at = order.time_ms;
                        view! {
                            <li class="ticker-order" data-testid="ticker-order" data-order-sn=order.order_sn.clone()
                                data-status=order.status.as_str()>
                                <span class="sn" title=order.order_sn.clone()>{sn_tail(&order.order_sn, 6)}</span>
                                <span class="units">{move || t_string!(i18n, units_of, n = units).to_string()}</span>
                                <span class="total">{move || format_price(total, price_style(i18n.get_locale()))}</span>
                                <StatusBadge status=order.status/>
                                <time class="at muted">{move || time_text(at, local.get())}</time>
                            </li>
                        }
                    }
                </For>
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::sn_tail;

    #[test]
    fn an_order_number_is_shown_by_its_tail() {
        assert_eq!(sn_tail("20260304123456789", 6), "…456789");
        assert_eq!(sn_tail("12345", 6), "12345");
    }
}
