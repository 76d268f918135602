//! `/`: the rooms that are live now, each linking to `/live/{live_id}`, and
//! the upcoming ones (scheduled, not streaming yet) with a countdown.

use leptos::prelude::*;

use crate::{
    clock::parse_rfc3339_ms,
    components::countdown::Countdown,
    i18n::*,
    model::RoomSummary,
    rooms::{get_live_rooms, get_upcoming_rooms},
};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let rooms = crate::codec::resource(|| (), |_| get_live_rooms());
    let upcoming = crate::codec::resource(|| (), |_| get_upcoming_rooms());
    view! {
        <main class="home">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    upcoming.await.ok().filter(|list| !list.is_empty()).map(|list| view! {
                        <h2>{t!(i18n, upcoming_title)}</h2>
                        <ul class="room-grid upcoming" data-testid="upcoming-list">
                            {list.into_iter().map(|room| view! { <RoomTile room/> }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
            <h1>{t!(i18n, home_title)}</h1>
            <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t!(i18n, home_empty)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="room-grid" data-testid="room-list">
                                {list.into_iter().map(|room| view! { <RoomTile room/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(_) => view! { <p class="error-banner">{t!(i18n, load_failed)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn RoomTile(room: RoomSummary) -> impl IntoView {
    let i18n = use_i18n();
    let count = room.goods_count;
    let starts_at = room.scheduled_at.as_deref().and_then(parse_rfc3339_ms);
    let upcoming = room.stream_status == crate::model::StreamStatus::Offline
        && starts_at.is_some_and(|at| at > crate::components::countdown::now_ms());
    view! {
        <li class="room-tile">
            <a href=format!("/live/{}", room.live_id) data-testid="room-link">
                <div class="room-cover">
                    {room.cover_url.map(|src| view! { <img src=src alt="" loading="lazy"/> })}
                    {if upcoming {
                        view! {
                            <span class="live-badge upcoming">{t!(i18n, upcoming_badge)}</span>
                            {starts_at.map(|at| view! { <Countdown starts_at_ms=at/> })}
                        }.into_any()
                    } else {
                        view! { <span class="live-badge">{t!(i18n, live_badge)}</span> }.into_any()
                    }}
                </div>
                <div class="room-meta">
                    <div class="room-title">{room.title}</div>
                    <div class="room-sub">{room.streamer} " · " {move || t_string!(i18n, room_goods_count, count = count).to_string()}</div>
                </div>
            </a>
        </li>
    }
}
