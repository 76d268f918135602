//! `/live/{live_id}`: the viewer room. The video stage with floating goods cards,
//! rendered on the server with the cards in the first HTML, then hydrated.
//! The stage plays the live stream, or the replay of an ended room; "now
//! explaining" lights a card when the viewer's picture reaches the moment the
//! streamer pressed it (see [`crate::explaining`]), and a replay lists where
//! each product was explained, to jump there.

use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    components::goods_card::GoodsCardView,
    components::in_app::InAppOverlay,
    components::player::{Stage, VideoStage},
    components::topbar::RoomTopBar,
    deep_link::{LinkConfig, Navigation, SourceType},
    events::RoomStatusChanged,
    explaining::{self, Mark, Pending},
    i18n::*,
    ids::{LiveId, SpuId},
    live_updates::{follow_room, Connection, LiveHooks},
    locale::text,
    model::{GoodsCard, Replay, RoomStatus, RoomView, StreamStatus},
    pages::not_found::NotFound,
    rooms::get_room_view,
};

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let live_id = move || params.read().get("live_id").and_then(|s| s.parse::<LiveId>().ok());
    let view_data = crate::codec::resource(live_id, |id| async move {
        match id {
            Some(id) => get_room_view(id).await,
            None => Ok(None),
        }
    });
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="empty">{text(i18n, |l| td_string!(l, loading))}</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(Some(data)) => view! { <Room data/> }.into_any(),
                    Ok(None) => view! { <NotFound room=true/> }.into_any(),
                    Err(_) => view! { <p class="error-banner">{text(i18n, |l| td_string!(l, load_failed))}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The id of the `<script type="application/json">` that carries a room
/// page's [`RoomView`] to the browser, for [`RoomApp`] to hydrate from.
pub const ROOM_DATA_ID: &str = "room-data";

/// The room as a page of its own, for a viewer who opens a room's link: the
/// server renders it with the room's data in hand (`ROOM_DATA_ID` carries
/// the same data to the browser), and the browser hydrates it without the
/// app's router, async resources and other pages, whose code sits in a WASM
/// chunk the room never loads (`frontend`). A room reached by navigating
/// inside the app is [`RoomPage`], the same [`Room`] under the router.
///
/// `signed_in`: the request came with a session, so the top bar asks who is
/// signed in once hydrated (an anonymous viewer's room asks nothing).
#[component]
pub fn RoomApp(data: RoomView, #[prop(optional)] signed_in: bool) -> impl IntoView {
    let preference = crate::locale::preference();
    view! {
        <I18nContextProvider ssr_lang_header_getter=preference>
            <RoomTopBar session=signed_in/>
            <Room data/>
        </I18nContextProvider>
    }
}

/// The room's data as a room page carries it: JSON with every `<` written
/// `\u003c`, so no text in it (a title with `</script>`) can end the script.
#[cfg(feature = "ssr")]
pub fn embed(data: &RoomView) -> String {
    // A `RoomView` is plain structs, lists and strings: writing it cannot fail.
    serde_json::to_string(data).unwrap_or_default().replace('<', "\\u003c")
}

/// The attribute of the [`ROOM_DATA_ID`] script that says the request came with a session.
pub const SESSION_ATTR: &str = "data-session";

/// What a room page carries for [`RoomApp`].
pub struct Carried {
    pub data: RoomView,
    pub signed_in: bool,
}

/// What the page carries for [`RoomApp`]: `None` on any page but a room's,
/// an error when a room page's data cannot be read.
#[cfg(feature = "hydrate")]
pub fn embedded() -> Option<Result<Carried, serde_json::Error>> {
    let script = document().get_element_by_id(ROOM_DATA_ID)?;
    let signed_in = script.has_attribute(SESSION_ATTR);
    let text = script.text_content().unwrap_or_default();
    Some(crate::codec::read(&text).map(|data| Carried { data, signed_in }))
}

#[component]
fn Room(data: RoomView) -> impl IntoView {
    let i18n = use_i18n();
    let RoomView { room, goods, last_event_id, links } = data;
    let shown = RwSignal::new(goods.iter().find(|c| c.explaining).map(|c| c.spu_id));
    let goods = RwSignal::new(goods);
    let connection = RwSignal::new(Connection::Connecting);
    let status = RwSignal::new(room.stream_status);
    let ended = RwSignal::new(room.status == RoomStatus::Ended);
    let replaying = room.playback_url.is_none() && room.replay_url.is_some();
    let stage = Stage::new(room.video_url().map(str::to_owned), replaying);
    let epoch = RwSignal::new(room.stream_epoch_ms);
    let replay = RwSignal::new(None::<Replay>);
    let on_screen = move || {
        if !stage.state.get().showing() {
            return None;
        }
        match replay.read().as_ref().filter(|_| stage.replay.get()) {
            Some(recording) => recording.stream_ms_at(stage.position.get()),
            None => explaining::stream_ms(stage.wall_ms.get(), epoch.get()),
        }
    };
    let pending = RwSignal::new(None::<Pending>);
    let hooks = LiveHooks {
        explaining: Callback::new(move |(spu_id, at): (Option<SpuId>, Option<i64>)| {
            match explaining::on_event(spu_id, at, on_screen()) {
                Mark::Now(spu) => {
                    pending.set(None);
                    shown.set(spu);
                }
                Mark::Wait(wait) => pending.set(Some(wait)),
            }
        }),
        status: Callback::new(move |change: RoomStatusChanged| {
            status.set(change.stream_status);
            if change.stream_epoch_ms.is_some() {
                epoch.set(change.stream_epoch_ms);
            }
            if change.stream_status == StreamStatus::Ended {
                ended.set(true);
            }
            // The player reloads only when the source changes (a stream back
            // from "reconnecting" keeps its playlist, and the player its place).
            let play = |source: String, recorded: bool| {
                stage.replay.set(recorded);
                if stage.source.get_untracked().as_deref() != Some(source.as_str()) {
                    stage.source.set(Some(source));
                }
            };
            match (change.playback_url, change.replay_url) {
                (Some(live), _) => play(live, false),
                (None, Some(recording)) => play(recording, true),
                (None, None) if change.stream_status == StreamStatus::Ended => stage.source.set(None),
                (None, None) => {}
            }
        }),
        resynced: Callback::new(move |spu| {
            pending.set(None);
            shown.set(spu);
        }),
    };
    follow_room(room.live_id, last_event_id, goods, connection, hooks);
    // A waiting mark shows once the picture reaches it; a replay follows its timeline.
    Effect::new(move |_| {
        let now = on_screen();
        if let Some(wait) = pending.get() {
            if explaining::due(wait, now) {
                pending.set(None);
                shown.set(wait.spu_id);
            }
        }
        if stage.replay.get() {
            if let (Some(now), Some(timeline)) = (now, replay.read().as_ref().and_then(|r| r.timeline.clone())) {
                shown.set(timeline.explaining_at(now));
            }
        }
    });
    #[cfg(feature = "hydrate")]
    if room.replay_url.is_some() || room.status == RoomStatus::Ended {
        let live_id = room.live_id;
        leptos::task::spawn_local(async move {
            if let Ok(Some(recording)) = crate::rooms::get_replay(live_id).await {
                replay.set(Some(recording));
            }
        });
    }
    let cards = Memo::new(move |_| {
        let explained = shown.get();
        // A replay's tray holds what the room had bound at the picture's moment.
        let now = on_screen().filter(|_| stage.replay.get());
        replay.with(|recording| {
            let timeline = recording.as_ref().and_then(|r| r.timeline.as_ref());
            goods
                .get()
                .into_iter()
                .filter(|card| match (now, timeline) {
                    (Some(now), Some(timeline)) => timeline.on_tray_at(card.spu_id, now),
                    _ => true,
                })
                .map(|mut card| {
                    card.explaining = explained == Some(card.spu_id);
                    card
                })
                .collect::<Vec<_>>()
        })
    });
    let collapsed = RwSignal::new(false);
    let opening = RwSignal::new(None::<String>);
    let overlay = RwSignal::new(None::<Navigation>);
    let live_id = room.live_id;
    // Taps while the replay plays are attributed to it in the funnel.
    let source = Signal::derive(move || {
        if stage.replay.get() && stage.source.read().is_some() {
            SourceType::Replay
        } else {
            SourceType::Live
        }
    });
    let on_tap = Callback::new(move |card: GoodsCard| {
        opening.set(Some(card.title.clone()));
        tap(&links, live_id, source.get_untracked(), &card, overlay);
    });
    view! {
        <PageTitle text=room.title.clone()/>
        <div
            class="room-page"
            data-testid="room"
            data-live-id=room.live_id.to_string()
            data-events=move || connection.get().as_str()
            data-stream=move || status.get().as_str()
            data-stream-ms=move || on_screen().map(|ms| ms.to_string())
        >
            <section class="stage">
                <VideoStage stage status/>
                <div class="stage-head">
                    {move || match (ended.get(), stage.replay.get() && stage.source.read().is_some()) {
                        (_, true) => view! { <span class="live-badge replay">{text(i18n, |l| td_string!(l, replay_badge))}</span> }.into_any(),
                        (true, false) => view! { <span class="live-badge">{text(i18n, |l| td_string!(l, ended_badge))}</span> }.into_any(),
                        (false, false) => view! { <span class="live-badge">{text(i18n, |l| td_string!(l, live_badge))}</span> }.into_any(),
                    }}
                    <div>
                        <div class="stage-title">{room.title.clone()}</div>
                        <div class="stage-streamer">{room.streamer.clone()}</div>
                    </div>
                </div>
                {move || (ended.get() && !stage.replay.get()).then(|| view! { <div class="room-ended">{text(i18n, |l| td_string!(l, room_ended))}</div> })}
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
                        <span class="count">{move || cards.read().len()}</span>
                    </button>
                    <ul class="cards" aria-label=text(i18n, |l| td_string!(l, tray_label)) data-testid="goods-cards">
                        <For each=move || cards.get() key=card_key let:card>
                            <GoodsCardView card live_id source on_tap/>
                        </For>
                    </ul>
                </div>
            </section>
            <InAppOverlay overlay/>
            <aside class="room-side">
                {move || match replay.get().and_then(|r| r.timeline.clone().map(|t| (r, t))) {
                    Some((recording, timeline)) if !timeline.entries.is_empty() => view! {
                        <h2>{text(i18n, |l| td_string!(l, timeline_title))}</h2>
                        <ol class="timeline" data-testid="timeline">
                            {timeline.first_mentions().into_iter().map(|(spu_id, at)| {
                                let title = goods.read().iter().find(|c| c.spu_id == spu_id).map(|c| c.title.clone()).unwrap_or_default();
                                let position = recording.position_of(at);
                                view! {
                                    <li>
                                        <button
                                            class="timeline-jump"
                                            data-testid="timeline-jump"
                                            data-spu-id=spu_id.to_string()
                                            data-stream-ms=at.to_string()
                                            disabled=position.is_none()
                                            on:click=move |_| stage.seek_to.set(position)
                                        >
                                            <span class="timeline-at">{crate::components::countdown::format_left(at)}</span>
                                            <span class="timeline-title">{title}</span>
                                            <span class="timeline-go">{text(i18n, |l| td_string!(l, timeline_jump))}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                    _ => view! {
                        <h2>{text(i18n, |l| td_string!(l, side_title))}</h2>
                        <p>{text(i18n, |l| td_string!(l, side_body))}</p>
                    }.into_any(),
                }}
            </aside>
        </div>
    }
}

/// A card tap: runs `DeepLinkRouter` in the browser (a no-op on the server).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn tap(
    links: &LinkConfig,
    live_id: LiveId,
    source: SourceType,
    card: &GoodsCard,
    overlay: RwSignal<Option<Navigation>>,
) {
    #[cfg(feature = "hydrate")]
    {
        use crate::deep_link::{browser, DeepLinkRouter, JumpParams};
        let Some(router) = DeepLinkRouter::new(links.clone()) else { return };
        let params = JumpParams {
            spu_id: card.spu_id,
            live_id,
            tracking_code: card.tracking_code.clone(),
            trace_id: browser::mint_trace_id(),
            source,
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
