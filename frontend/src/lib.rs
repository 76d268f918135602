//! The browser entry point: hydrates the server-rendered HTML with the `app` crate.
//! Everything the page does lives in `app`; this crate only starts it in WASM.

// The page's view types are deep; the optimised WASM build needs the headroom.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (every page but the room: `app::pages::lazy`) hydrate
    // once their chunk has loaded, so hydration itself is asynchronous.
    leptos::mount::hydrate_lazy(app::App);
}
