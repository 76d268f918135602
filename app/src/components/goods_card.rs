//! One floating goods card: cover, title, price, live stock and the
//! "now explaining" mark. A tap anywhere on the card is handled in Rust.

use leptos::prelude::*;

use crate::{
    components::countdown::Countdown,
    deep_link::{DeepLinkRouter, JumpParams, SourceType},
    i18n::*,
    ids::LiveId,
    locale::{price_style, text},
    model::GoodsCard,
    money::format_price,
};

/// Stock at or below this many items shows the "only N left" warning.
const LOW_STOCK: i64 = 10;

#[component]
pub fn GoodsCardView(
    card: GoodsCard,
    live_id: LiveId,
    /// The live stream or its replay, for the buy link's attribution.
    #[prop(into)]
    source: Signal<SourceType>,
    #[prop(into)] on_tap: Callback<GoodsCard>,
) -> impl IntoView {
    let i18n = use_i18n();
    let stock = card.stock;
    let snapshot = card.stock_snapshot.max(stock).max(1);
    let percent = (stock * 100 / snapshot).clamp(0, 100);
    let price = card.price_cents;
    let stock_class = if stock == 0 {
        "stock out"
    } else if stock <= LOW_STOCK {
        "stock low"
    } else {
        "stock"
    };
    let tapped = RwSignal::new(false);
    let (spu_id, tracking_code) = (card.spu_id, card.tracking_code.clone());
    let buy_href = move || {
        DeepLinkRouter::web_path(&JumpParams {
            spu_id,
            live_id,
            tracking_code: tracking_code.clone(),
            trace_id: String::new(),
            source: source.get(),
        })
    };
    let tap_card = card.clone();
    view! {
        <li
            class="goods-card"
            class:explaining=card.explaining
            class:tapped=move || tapped.get()
            data-testid="goods-card"
            data-spu-id=card.spu_id.to_string()
            data-tracking-code=card.tracking_code.clone()
            role="button"
            tabindex="0"
            on:click=move |_| {
                tapped.set(true);
                on_tap.run(tap_card.clone());
            }
        >
            {card.explaining.then(|| view! { <span class="explaining-tag" data-testid="explaining">{text(i18n, |l| td_string!(l, explaining))}</span> })}
            <img class="cover" src=card.cover_url.clone().unwrap_or_else(|| "/goods-placeholder.svg".to_owned()) alt="" loading="lazy" width="72" height="72"/>
            <div class="info">
                <span class="title">{card.title.clone()}</span>
                <span class="price" data-testid="price">{move || format_price(price, price_style(i18n.get_locale()))}</span>
                <span class=stock_class data-testid="stock">
                    {move || match stock {
                        0 => t_string!(i18n, sold_out).to_string(),
                        n if n <= LOW_STOCK => t_string!(i18n, stock_low, count = n).to_string(),
                        n => t_string!(i18n, stock_left, count = n).to_string(),
                    }}
                </span>
                <div class="stock-bar" aria-hidden="true"><span style=format!("width:{percent}%")></span></div>
                {card.sale_starts_at_ms.map(|at| view! { <Countdown starts_at_ms=at/> })}
            </div>
            // Buying is a separate control: the web goods page, whatever the platform.
            <a class="buy" data-testid="buy" href=buy_href class:disabled=stock == 0
                on:click=|ev: leptos::ev::MouseEvent| ev.stop_propagation()>
                {text(i18n, if stock == 0 { |l| td_string!(l, sold_out) } else { |l| td_string!(l, buy_short) })}
            </a>
        </li>
    }
}
