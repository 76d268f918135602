//! `/app/goods_detail?spu_id=&source_type=live&live_id=&tracking_code=&trace_id=`:
//! the web goods page, the Universal Link / App Link target when the app is
//! not installed. Server-rendered with its data; SKU picker, live stock and
//! price; it keeps the live-room parameters for the order and records a view.
//! Once an order is placed it shows the order's status with "Pay" (the
//! sandbox provider) and "Cancel", and links to "my orders".

use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    checkout::PlaceOrder,
    components::{
        countdown::Countdown,
        notice::ErrorNotice,
        order_actions::{OrderActions, TrackedOrder},
    },
    deep_link::{valid_trace_id, valid_tracking_code, SourceType},
    error::AppError,
    i18n::*,
    ids::{LiveId, SpuId},
    locale::price_style,
    model::GoodsPage,
    money::format_price,
    pages::not_found::set_status,
    session::current_user,
};

/// The live-room context a goods page was opened with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveSource {
    pub live_id: Option<LiveId>,
    pub tracking_code: Option<String>,
    pub trace_id: Option<String>,
    /// The live stream or its replay.
    pub source_type: SourceType,
}

#[server(endpoint = "goods/page")]
pub async fn get_goods_page(spu_id: SpuId, live_id: Option<LiveId>) -> Result<Option<GoodsPage>, AppError> {
    crate::ports::services()?.catalog.goods_page(spu_id, live_id).await
}

#[component]
pub fn GoodsDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let spu_id = move || query.read().get("spu_id").and_then(|s| s.parse::<SpuId>().ok());
    let source = move || {
        let q = query.read();
        LiveSource {
            live_id: q.get("live_id").and_then(|s| s.parse().ok()),
            tracking_code: q.get("tracking_code").filter(|c| valid_tracking_code(c)),
            trace_id: q.get("trace_id").filter(|c| valid_trace_id(c)),
            source_type: SourceType::from_query(q.get("source_type").as_deref()),
        }
    };
    let place = ServerAction::<PlaceOrder>::new();
    // Held here, above the product view that re-renders after an order (its
    // stock changed), so a payment under way survives that.
    let placed = TrackedOrder::new(None);
    Effect::new(move |_| {
        if let Some(Ok(receipt)) = place.value().get() {
            placed.show(receipt);
        }
    });
    let live = move || query.read().get("live_id").and_then(|s| s.parse::<LiveId>().ok());
    let data = crate::codec::resource(
        move || (spu_id(), live(), place.version().get()),
        |(id, live, _)| async move {
            match id {
                Some(id) => get_goods_page(id, live).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(Some(page))) => view! { <Goods page source=source() place placed/> }.into_any(),
                    Ok(Some(None)) => {
                        set_status(404);
                        view! { <Problem message=t_string!(i18n, goods_not_found)/> }.into_any()
                    }
                    Ok(None) => {
                        set_status(400);
                        view! { <Problem message=t_string!(i18n, goods_bad_id)/> }.into_any()
                    }
                    Err(_) => {
                        set_status(503);
                        view! { <Problem message=t_string!(i18n, load_failed)/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Problem(message: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="not-found" data-testid="goods-problem">
            <h1>{message}</h1>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

#[component]
fn Goods(page: GoodsPage, source: LiveSource, place: ServerAction<PlaceOrder>, placed: TrackedOrder) -> impl IntoView {
    let i18n = use_i18n();
    let GoodsPage { goods, links, sales } = page;
    let sales = StoredValue::new(sales);
    let skus = StoredValue::new(goods.skus.clone());
    let first_in_stock = goods.skus.iter().position(|k| k.stock > 0).unwrap_or(0);
    let selected = RwSignal::new(first_in_stock);
    let quantity = RwSignal::new(1i64);
    let intent = StoredValue::new(crate::checkout::PurchaseIntent::default());
    Effect::new(move |_| {
        if let Some(result) = place.value().get() {
            intent.update_value(|i| i.answered(&result));
        }
    });
    let chosen = move || skus.with_value(|s| s.get(selected.get()).cloned());
    let rule = move || chosen().and_then(|k| sales.with_value(|s| s.iter().find(|r| r.sku_id == k.sku_id).cloned()));
    let user = crate::codec::resource(|| (), |_| current_user());
    let buy_source = source.clone();
    record_view(goods.spu_id, &source);
    let next = format!(
        "/login?next={}",
        crate::deep_link::encode_component(&format!(
            "/app/goods_detail?spu_id={}{}",
            goods.spu_id,
            source
                .live_id
                .map(|l| format!("&source_type={}&live_id={l}", source.source_type.as_str()))
                .unwrap_or_default()
        ))
    );
    view! {
        <PageTitle text=goods.title.clone()/>
        <main class="goods-page" data-testid="goods-page" data-spu-id=goods.spu_id.to_string()
            data-live-id=source.live_id.map(|l| l.to_string()).unwrap_or_default()
            data-tracking-code=source.tracking_code.clone().unwrap_or_default()
            data-trace-id=source.trace_id.clone().unwrap_or_default()>
            <img class="goods-cover" src=goods.cover_url.clone().unwrap_or_else(|| "/goods-placeholder.svg".into()) alt=""/>
            <section class="panel">
                {source.live_id.map(|id| view! {
                    <a class="live-source" href=format!("/live/{id}")>
                        {match source.source_type {
                            SourceType::Live => t_string!(i18n, from_live, id = id).to_string(),
                            SourceType::Replay => t_string!(i18n, from_replay, id = id).to_string(),
                        }}
                    </a>
                })}
                <h1 class="goods-title">{goods.title.clone()}</h1>
                <div class="goods-price" data-testid="goods-price">
                    {move || chosen().map(|k| format_price(k.price_cents, price_style(i18n.get_locale())))}
                </div>
                <p class="muted">{goods.description.clone()}</p>
                <h2 class="label">{t!(i18n, choose_spec)}</h2>
                <div class="specs" role="radiogroup">
                    {goods.skus.iter().enumerate().map(|(i, sku)| {
                        let out = sku.stock == 0;
                        view! {
                            <button class="spec" class:selected=move || selected.get() == i disabled=out
                                role="radio" aria-checked=move || (selected.get() == i).to_string()
                                data-testid="sku" data-sku-id=sku.sku_id.to_string()
                                on:click=move |_| { selected.set(i); quantity.set(1); }>
                                {sku.spec.clone()}
                            </button>
                        }
                    }).collect_view()}
                </div>
                {move || rule().map(|r| view! {
                    <div class="sale-line">
                        {r.starts_at_ms.map(|at| view! { <Countdown starts_at_ms=at/> })}
                        {r.per_user_limit.map(|n| view! { <span class="limit" data-testid="limit">{t_string!(i18n, limit_per_user, n = n).to_string()}</span> })}
                    </div>
                })}
                <div class="stock-line" data-testid="sku-stock">
                    {move || chosen().map(|k| match k.stock {
                        0 => t_string!(i18n, sold_out).to_string(),
                        n => t_string!(i18n, stock_left, count = n).to_string(),
                    })}
                </div>
                <div class="quantity">
                    <span class="label">{t!(i18n, quantity)}</span>
                    <button class="step" aria-label="-" on:click=move |_| quantity.update(|q| *q = (*q - 1).max(1))>"−"</button>
                    <span data-testid="quantity">{move || quantity.get()}</span>
                    <button class="step" aria-label="+" on:click=move |_| {
                        let max = chosen().map(|k| k.stock.min(99)).unwrap_or(1).max(1);
                        quantity.update(|q| *q = (*q + 1).min(max));
                    }>"+"</button>
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new({
                        let next = next.clone();
                        let source = buy_source.clone();
                        async move {
                            match user.await {
                                Ok(Some(_)) => match source.live_id {
                                    Some(live_id) => {
                                        let source = source.clone();
                                        view! {
                                            <button class="button wide" data-testid="buy"
                                                disabled=move || place.pending().get() || chosen().is_none_or(|k| k.stock == 0)
                                                on:click=move |_| {
                                                    let Some(sku) = chosen() else { return };
                                                    let qty = quantity.get_untracked();
                                                    let mut key = String::new();
                                                    intent.update_value(|i| key = i.key_for(sku.sku_id, qty, attempt_key));
                                                    place.dispatch(PlaceOrder {
                                                        live_id,
                                                        sku_id: sku.sku_id,
                                                        quantity: qty,
                                                        tracking_code: source.tracking_code.clone(),
                                                        trace_id: source.trace_id.clone(),
                                                        source_type: source.source_type,
                                                        idempotency_key: key,
                                                    });
                                                }>
                                                {move || if place.pending().get() { t_string!(i18n, placing_order) } else { t_string!(i18n, buy_now) }}
                                            </button>
                                        }.into_any()
                                    }
                                    None => view! { <p class="muted">{t!(i18n, ordering_soon)}</p> }.into_any(),
                                },
                                _ => view! { <a class="button wide" href=next data-testid="buy">{t!(i18n, sign_in_to_buy)}</a> }.into_any(),
                            }
                        }
                    })}
                </Suspense>
                {move || place.value().get().map(|result| match result {
                    Ok(receipt) => view! {
                        <p class="success-banner" role="status" data-testid="order-placed"
                            data-order-sn=receipt.order_sn.clone() data-total-cents=receipt.total_cents.to_string()>
                            {t_string!(i18n, order_placed, sn = receipt.order_sn.clone()).to_string()}
                        </p>
                        <OrderActions tracked=placed/>
                        <a class="link" href="/orders" data-testid="my-orders-link">{t!(i18n, view_my_orders)}</a>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error=Signal::derive(move || Some(error.clone()))/> }.into_any(),
                })}
                <div class="stores">
                    <span class="muted">{t!(i18n, get_app)}</span>
                    <a href=links.ios_store_url.clone() rel="noopener">"App Store"</a>
                    <a href=links.android_store_url.clone() rel="noopener">"Google Play"</a>
                </div>
            </section>
        </main>
    }
}

/// A fresh idempotency key for a new purchase intent.
fn attempt_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        crate::deep_link::browser::mint_trace_id()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::from("server-rendered")
    }
}

/// Records the page view with the tap's trace id (browser only).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn record_view(spu_id: SpuId, source: &LiveSource) {
    #[cfg(feature = "hydrate")]
    if let Some(live_id) = source.live_id {
        let params = crate::deep_link::JumpParams {
            spu_id,
            live_id,
            tracking_code: source.tracking_code.clone().unwrap_or_default(),
            trace_id: source.trace_id.clone().unwrap_or_default(),
            source: source.source_type,
        };
        Effect::new(move |_| crate::deep_link::browser::beacon("view", &params));
    }
}
