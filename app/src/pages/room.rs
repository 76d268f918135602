//! `/live/{live_id}`: the viewer room. The video stage with floating goods cards,
//! rendered on the server with the cards in the first HTML, then hydrated.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    components::goods_card::GoodsCardView,
    components::in_app::InAppOverlay,
    deep_link::{LinkConfig, Navigation},
    i18n::*,
    ids::LiveId,
    live_updates::{follow_room, Connection},
    model::{GoodsCard, RoomView},
    pages::not_found::NotFound,
    rooms::get_room_view,
};

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let live_id = move || params.read().get("live_id").and_then(|s| s.parse::<LiveId>().ok());
    let view_data = Resource::new(live_id, |id| async move {
        match id {
            Some(id) => get_room_view(id).await,
            None => Ok(None),
        }
    });
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(Some(data)) => view! { <Room data/> }.into_any(),
                    Ok(None) => view! { <NotFound room=true/> }.into_any(),
                    Err(_) => view! { <p class="error-banner">{t!(i18n, load_failed)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Room(data: RoomView) -> impl IntoView {
    let i18n = use_i18n();
    let RoomView { room, goods, last_event_id, links } = data;
    let goods = RwSignal::new(goods);
    let connection = RwSignal::new(Connection::Connecting);
    follow_room(room.live_id, last_event_id, goods, connection);
    let collapsed = RwSignal::new(false);
    let opening = RwSignal::new(None::<String>);
    let overlay = RwSignal::new(None::<Navigation>);
    let live_id = room.live_id;
    let on_tap = Callback::new(move |card: GoodsCard| {
        opening.set(Some(card.title.clone()));
        tap(&links, live_id, &card, overlay);
    });
    let live = room.status == crate::model::RoomStatus::Live;
    view! {
        <Title text=room.title.clone()/>
        <div class="room-page" data-testid="room" data-live-id=room.live_id.to_string() data-events=move || connection.get().as_str()>
            <section class="stage">
                {match room.stream_url.clone() {
                    Some(src) => view! { <video src=src poster="/poster.svg" autoplay muted playsinline loop></video> }.into_any(),
                    None => view! { <img class="poster" src="/poster.svg" alt=""/> }.into_any(),
                }}
                <div class="stage-head">
                    {if live {
                        view! { <span class="live-badge">{t!(i18n, live_badge)}</span> }.into_any()
                    } else {
                        view! { <span class="live-badge">{t!(i18n, ended_badge)}</span> }.into_any()
                    }}
                    <div>
                        <div class="stage-title">{room.title.clone()}</div>
                        <div class="stage-streamer">{room.streamer.clone()}</div>
                    </div>
                </div>
                {(!live).then(|| view! { <div class="room-ended">{t!(i18n, room_ended)}</div> })}
                {move || opening.get().map(|title| view! {
                    <div class="tap-hint" data-testid="tap-hint" role="status">
                        {t_string!(i18n, card_opening, title = title.clone()).to_string()}
                    </div>
                })}
                <div class="tray" class:collapsed=move || collapsed.get()>
                    <button
                        class="tray-toggle"
                        data-testid="tray-toggle"
                        aria-expanded=move || (!collapsed.get()).to_string()
                        on:click=move |_| collapsed.update(|c| *c = !*c)
                    >
                        {move || if collapsed.get() { t_string!(i18n, tray_show) } else { t_string!(i18n, tray_hide) }}
                        <span class="count">{move || goods.read().len()}</span>
                    </button>
                    <ul class="cards" aria-label=move || t_string!(i18n, tray_label) data-testid="goods-cards">
                        <For each=move || goods.get() key=card_key let:card>
                            <GoodsCardView card live_id on_tap/>
                        </For>
                    </ul>
                </div>
            </section>
            <InAppOverlay overlay/>
            <aside class="room-side">
                <h2>{t!(i18n, side_title)}</h2>
                <p>{t!(i18n, side_body)}</p>
            </aside>
        </div>
    }
}

/// A card tap: runs `DeepLinkRouter` in the browser (a no-op on the server).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn tap(links: &LinkConfig, live_id: LiveId, card: &GoodsCard, overlay: RwSignal<Option<Navigation>>) {
    #[cfg(feature = "hydrate")]
    {
        use crate::deep_link::{browser, DeepLinkRouter, JumpParams};
        let Some(router) = DeepLinkRouter::new(links.clone()) else { return };
        let params = JumpParams {
            spu_id: card.spu_id,
            live_id,
            tracking_code: card.tracking_code.clone(),
            trace_id: browser::mint_trace_id(),
        };
        if let Some(shown) = browser::open(&router, &params) {
            overlay.set(Some(shown));
        }
    }
}

/// What makes a card render anew: anything it shows that an event can change.
fn card_key(card: &GoodsCard) -> (crate::ids::SpuId, i32, i64, bool, i64, Option<i64>, Option<i64>) {
    (
        card.spu_id,
        card.position,
        card.stock,
        card.explaining,
        card.price_cents,
        card.sale_starts_at_ms,
        card.per_user_limit,
    )
}
