//! `/`: the rooms that are live now, each linking to `/live/{live_id}`.

use leptos::prelude::*;

use crate::{i18n::*, model::RoomSummary, rooms::get_live_rooms};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let rooms = Resource::new(|| (), |_| get_live_rooms());
    view! {
        <main class="home">
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
    view! {
        <li class="room-tile">
            <a href=format!("/live/{}", room.live_id) data-testid="room-link">
                <div class="room-cover">
                    {room.cover_url.map(|src| view! { <img src=src alt="" loading="lazy"/> })}
                    <span class="live-badge">{t!(i18n, live_badge)}</span>
                </div>
                <div class="room-meta">
                    <div class="room-title">{room.title}</div>
                    <div class="room-sub">{room.streamer} " · " {move || t_string!(i18n, room_goods_count, count = count).to_string()}</div>
                </div>
            </a>
        </li>
    }
}
