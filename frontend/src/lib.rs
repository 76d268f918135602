//! The browser entry point: hydrates the server-rendered HTML with the `app` crate.
//! Everything the page does lives in `app`; this crate only starts it in WASM.

// The page's view types are deep; the optimised WASM build needs the headroom.
#![recursion_limit = "512"]

/// Hydrates the page, then marks `<body data-hydrated="true">`: the page
/// answers taps from then on (tests and the first-tap bench wait for it).
///
/// Hydration is asynchronous: every page but the room is a lazy route
/// (`app::pages::lazy`) whose code arrives in a chunk of its own, and the
/// page is interactive only once that chunk has loaded and hydrated, so the
/// mark follows the whole of it (an effect inside the app would run before).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Prints a panic's message in builds that keep it; the release build
    // aborts at once (`-Cpanic=immediate-abort`, scripts/build-release.sh),
    // where a panic is a bare `unreachable` trap in the console.
    console_error_panic_hook::set_once();
    // Drives the reactive system; an error means it is driven already.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else { return };
        let mounted = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        // The page lives as long as the tab.
        mounted.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
