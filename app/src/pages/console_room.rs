//! `/console/live/{live_id}`: the room's live center (the dashboard), what
//! the room shows, in order; add, remove and move products, mark the one
//! being presented, and edit stock; then the room's sync failures and dead
//! letters, which the dashboard links to.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    components::{
        dashboard::{DashboardPanel, SYNC_FAILURES_ANCHOR},
        dead_letters::DeadLetters,
        notice::{action_error, ErrorNotice},
    },
    console::{
        get_console_room, get_sync_failures, BindGoods, EndRoom, ExplainGoods, MoveGoods, NewStreamKey,
        RetrySyncFailure, SetSkuSale, SetSkuStock, UnbindGoods,
    },
    error::AppError,
    i18n::*,
    ids::LiveId,
    locale::price_style,
    model::{ConsoleRoom, Room},
    money::format_price,
    pages::console::ConsoleGate,
};

#[component]
pub fn ConsoleRoomPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let live_id = move || params.read().get("live_id").and_then(|s| s.parse::<LiveId>().ok());
    let bind = ServerAction::<BindGoods>::new();
    let unbind = ServerAction::<UnbindGoods>::new();
    let moved = ServerAction::<MoveGoods>::new();
    let explain = ServerAction::<ExplainGoods>::new();
    let stock = ServerAction::<SetSkuStock>::new();
    let sale = ServerAction::<SetSkuSale>::new();
    let end = ServerAction::<EndRoom>::new();
    let versions = move || {
        (
            end.version().get(),
            sale.version().get(),
            bind.version().get(),
            unbind.version().get(),
            moved.version().get(),
            explain.version().get(),
            stock.version().get(),
        )
    };
    let data = crate::codec::resource(
        move || (live_id(), versions()),
        |(id, _)| async move {
            match id {
                Some(id) => get_console_room(id).await,
                None => Err(AppError::not_found("live room")),
            }
        },
    );
    let errors = [
        action_error(bind),
        action_error(unbind),
        action_error(moved),
        action_error(explain),
        action_error(stock),
        action_error(sale),
        action_error(end),
    ];
    let latest_error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    view! {
        <main class="console">
            <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(error) => {
                            let next = live_id().map(|id| format!("/console/live/{id}")).unwrap_or_else(|| "/console".into());
                            view! { <ConsoleGate error next/> }.into_any()
                        }
                        Ok(room) => view! { <RoomHeader room=room.room end/> }.into_any(),
                    }
                })}
            </Suspense>
            // Between the header and the goods, and outside their Suspense:
            // it does not re-render (nor reconnect) when a goods action re-reads the room.
            {move || live_id().map(|id| view! { <DashboardPanel live_id=id/> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().map(|room| view! { <RoomGoods room bind unbind moved explain stock sale/> })
                })}
            </Suspense>
            <ErrorNotice error=latest_error/>
            {move || live_id().map(|id| view! { <SyncFailures live_id=id/> <DeadLetters live_id=id/> })}
        </main>
    }
}

fn stream_status_text(i18n: leptos_i18n::I18nContext<Locale>, status: crate::model::StreamStatus) -> String {
    use crate::model::StreamStatus::*;
    match status {
        Offline => t_string!(i18n, stream_status_offline),
        Live => t_string!(i18n, stream_status_live),
        Reconnecting => t_string!(i18n, stream_status_reconnecting),
        Ended => t_string!(i18n, stream_status_ended),
    }
    .to_string()
}

/// "Stream from OBS": mints the room's stream key and shows it once, with
/// the server address to put beside it in the encoder.
#[component]
fn StreamKeyPanel(live_id: LiveId) -> impl IntoView {
    let i18n = use_i18n();
    let mint = ServerAction::<NewStreamKey>::new();
    view! {
        <details class="stream-key" data-testid="stream-key-panel">
            <summary>{t!(i18n, stream_key_title)}</summary>
            <ActionForm action=mint>
                <input type="hidden" name="live_id" value=live_id.to_string()/>
                <button class="button small" type="submit" data-testid="new-stream-key">{t!(i18n, stream_key_new)}</button>
            </ActionForm>
            {move || mint.value().get().and_then(Result::ok).map(|key| view! {
                <p class="muted">{t!(i18n, stream_key_once)}</p>
                <dl class="stream-key-fields">
                    <dt>{t!(i18n, stream_server)}</dt>
                    <dd><code data-testid="rtmp-url">{key.rtmp_url}</code></dd>
                    <dt>{t!(i18n, stream_key)}</dt>
                    <dd><code data-testid="stream-key">{key.stream_key}</code></dd>
                </dl>
            })}
            <ErrorNotice error=action_error(mint)/>
        </details>
    }
}

/// The room's title, a link to the viewer room, and "end live" (or "ended").
#[component]
fn RoomHeader(room: Room, end: ServerAction<EndRoom>) -> impl IntoView {
    let i18n = use_i18n();
    let live_id = room.live_id;
    view! {
        <header class="console-head">
            <a class="link" href="/console">{t!(i18n, back_to_console)}</a>
            <h1>{room.title.clone()}</h1>
            <a class="button small" href=format!("/live/{}", room.live_id) target="_blank" rel="noopener">{t!(i18n, open_room)}</a>
            <span class="state" data-testid="stream-state" data-stream=room.stream_status.as_str()>
                {t!(i18n, stream_status_label)} " · " {stream_status_text(i18n, room.stream_status)}
            </span>
            {if room.status == crate::model::RoomStatus::Live {
                view! {
                    <StreamKeyPanel live_id/>
                    <ActionForm action=end>
                        <input type="hidden" name="live_id" value=live_id.to_string()/>
                        <button class="button small danger" type="submit" data-testid="end-room">{t!(i18n, end_room)}</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <span class="state ended" data-testid="room-ended">{t!(i18n, ended_badge)}</span> }.into_any()
            }}
        </header>
    }
}

#[component]
fn RoomGoods(
    room: ConsoleRoom,
    bind: ServerAction<BindGoods>,
    unbind: ServerAction<UnbindGoods>,
    moved: ServerAction<MoveGoods>,
    explain: ServerAction<ExplainGoods>,
    stock: ServerAction<SetSkuStock>,
    sale: ServerAction<SetSkuSale>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ConsoleRoom { room, bound, catalog } = room;
    let live_id = room.live_id;
    let bound_ids: Vec<_> = bound.iter().map(|c| c.spu_id).collect();
    let available: Vec<_> = catalog.iter().filter(|s| !bound_ids.contains(&s.spu_id)).cloned().collect();
    let count = bound.len();
    view! {
        <section class="panel">
            <h2>{t!(i18n, bound_goods)}</h2>
            {(count == 0).then(|| view! { <p class="empty">{t!(i18n, no_bound)}</p> })}
            <ol class="rows" data-testid="bound-goods">
                {bound.into_iter().enumerate().map(|(i, card)| {
                    let spu = card.spu_id;
                    let price = card.price_cents;
                    let skus = catalog.iter().find(|s| s.spu_id == card.spu_id).map(|s| s.skus.clone()).unwrap_or_default();
                    view! {
                        <li class="row bound" class:explaining=card.explaining data-testid="bound-row" data-spu-id=spu.to_string()>
                            <img class="thumb" src=card.cover_url.clone().unwrap_or_else(|| "/goods-placeholder.svg".into()) alt=""/>
                            <div class="grow">
                                <div class="title">{card.title.clone()}</div>
                                <div class="muted">
                                    {move || format_price(price, price_style(i18n.get_locale()))} " · "
                                    {move || t_string!(i18n, stock_of, count = card.stock).to_string()}
                                </div>
                                <div class="sku-stock">
                                    {skus.into_iter().map(|sku| view! {
                                        <ActionForm action=stock attr:class="inline-form">
                                            <input type="hidden" name="spu_id" value=spu.to_string()/>
                                            <input type="hidden" name="sku_id" value=sku.sku_id.to_string()/>
                                            <span class="muted">{sku.spec}</span>
                                            <input name="stock" class="narrow" inputmode="numeric" value=sku.stock.to_string() aria-label=move || t_string!(i18n, sku_stock)/>
                                            <button class="button small secondary" type="submit">{t!(i18n, save)}</button>
                                        </ActionForm>
                                        <ActionForm action=sale attr:class="inline-form" attr:data-testid="sale-form">
                                            <input type="hidden" name="live_id" value=live_id.to_string()/>
                                            <input type="hidden" name="sku_id" value=sku.sku_id.to_string()/>
                                            <input name="starts_in_minutes" class="narrow" inputmode="numeric" placeholder=move || t_string!(i18n, sale_starts_in_minutes)/>
                                            <input name="per_user_limit" class="narrow" inputmode="numeric" placeholder=move || t_string!(i18n, sale_limit)/>
                                            <button class="button small secondary" type="submit">{t!(i18n, set_sale)}</button>
                                        </ActionForm>
                                    }).collect_view()}
                                </div>
                            </div>
                            <div class="actions">
                                <ActionForm action=explain>
                                    <input type="hidden" name="live_id" value=live_id.to_string()/>
                                    {(!card.explaining).then(|| view! { <input type="hidden" name="spu_id" value=spu.to_string()/> })}
                                    <button class="button small" type="submit" data-testid="explain">
                                        {if card.explaining { t_string!(i18n, stop_explaining) } else { t_string!(i18n, explain) }}
                                    </button>
                                </ActionForm>
                                <MoveButton action=moved live_id=live_id.to_string() spu=spu.to_string() up=true enabled={i > 0}/>
                                <MoveButton action=moved live_id=live_id.to_string() spu=spu.to_string() up=false enabled={i + 1 < count}/>
                                <ActionForm action=unbind>
                                    <input type="hidden" name="live_id" value=live_id.to_string()/>
                                    <input type="hidden" name="spu_id" value=spu.to_string()/>
                                    <button class="button small danger" type="submit" data-testid="unbind">{t!(i18n, unbind)}</button>
                                </ActionForm>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
        <section class="panel">
            <h2>{t!(i18n, available_goods)}</h2>
            {available.is_empty().then(|| view! { <p class="empty">{t!(i18n, all_bound)}</p> })}
            <ul class="rows" data-testid="available-goods">
                {available.into_iter().map(|spu| {
                    let total: i64 = spu.skus.iter().map(|k| k.stock).sum();
                    view! {
                        <li class="row" data-spu-id=spu.spu_id.to_string()>
                            <span class="grow">{spu.title}</span>
                            <span class="muted">{move || t_string!(i18n, stock_of, count = total).to_string()}</span>
                            <ActionForm action=bind>
                                <input type="hidden" name="live_id" value=live_id.to_string()/>
                                <input type="hidden" name="spu_id" value=spu.spu_id.to_string()/>
                                <button class="button small" type="submit" data-testid="bind">{t!(i18n, bind)}</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn MoveButton(action: ServerAction<MoveGoods>, live_id: String, spu: String, up: bool, enabled: bool) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=action>
            <input type="hidden" name="live_id" value=live_id/>
            <input type="hidden" name="spu_id" value=spu/>
            <input type="hidden" name="up" value=up.to_string()/>
            <button class="button small secondary" type="submit" disabled=!enabled
                aria-label=move || if up { t_string!(i18n, move_up) } else { t_string!(i18n, move_down) }>
                {if up { "↑" } else { "↓" }}
            </button>
        </ActionForm>
    }
}

/// The room's failed order-event publishes: state, retries, last error, and
/// a button that re-pushes one now.
#[component]
fn SyncFailures(live_id: LiveId) -> impl IntoView {
    let i18n = use_i18n();
    let retry = ServerAction::<RetrySyncFailure>::new();
    let rows = crate::codec::resource(move || retry.version().get(), move |_| get_sync_failures(live_id));
    view! {
        <section class="panel" id=SYNC_FAILURES_ANCHOR data-testid="sync-failures">
            <h2>{t!(i18n, sync_failures)}</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t!(i18n, no_sync_failures)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="rows">
                                {list.into_iter().map(|f| view! {
                                    <li class="row" data-testid="sync-failure">
                                        <span class="grow">{f.order_sn.clone()}</span>
                                        <span class=format!("state {}", f.state)>{f.state.clone()}</span>
                                        <span class="muted">{format!("×{} · {}", f.retry_count, f.last_error_code)}</span>
                                        {(f.state != "delivered").then(|| view! {
                                            <ActionForm action=retry>
                                                <input type="hidden" name="id" value=f.id.to_string()/>
                                                <button class="button small secondary" type="submit">{t!(i18n, retry_now)}</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(_) => view! { <p class="empty">{t!(i18n, load_failed)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
