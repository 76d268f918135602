//! The browser entry point: hydrates the server-rendered HTML with the `app` crate.
//! Everything the page does lives in `app`; this crate only starts it in WASM.
//!
//! Two roots. A room page (it carries its room's data, `app::pages::room`)
//! hydrates `RoomApp` from this, the main chunk. Every other page hydrates
//! the whole `App`, router and all, from [`hydrate_app`], a lazy function
//! whose code sits in a chunk of its own (`cargo leptos build --split`): a
//! viewer who opens a room's link loads only what the room needs.

// The page's view types are deep; the optimised WASM build needs the headroom.
#![recursion_limit = "512"]

use leptos::{prelude::*, web_sys::HtmlElement};

/// Hydrates the page, then marks `<body data-hydrated="true">`: the page
/// answers taps from then on (tests and the first-tap bench wait for it).
///
/// Hydration is asynchronous: outside the room, the app's chunk loads first,
/// and every page but the room is a lazy route (`app::pages::lazy`) whose
/// code arrives in a chunk of its own; the page is interactive only once
/// those chunks have loaded and hydrated, so the mark follows the whole of
/// it (an effect inside the app would run before).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Prints a panic's message in builds that keep it; the release build
    // aborts at once (`-Cpanic=immediate-abort`, scripts/build-release.sh),
    // where a panic is a bare `unreachable` trap in the console.
    console_error_panic_hook::set_once();
    // Drives the reactive system; an error means it is driven already.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = document().body() else { return };
        match app::pages::room::embedded() {
            Some(Ok(app::pages::room::Carried { data, signed_in })) => {
                // The page lives as long as the tab.
                leptos::mount::hydrate_from(body.clone(), move || view! { <app::pages::room::RoomApp data signed_in/> })
                    .forget()
            }
            // A room page whose data cannot be read keeps the server's HTML
            // (the app hydrated over it would not match) and is not marked.
            Some(Err(_)) => return,
            None => hydrate_app(body.clone()).await,
        }
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

/// Hydrates every page but a room's with the whole app (its own chunk).
#[leptos::lazy]
async fn hydrate_app(body: HtmlElement) {
    let mounted = leptos::mount::hydrate_from_async(body, app::App).await;
    // The page lives as long as the tab.
    mounted.forget();
}
