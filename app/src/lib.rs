//! What people see and call: the pages, their components and server
//! functions, the DTOs both sides share, and the i18n layer.
//!
//! - [`ids`], [`model`], [`money`], [`clock`], [`cookies`]: shared types, parsed once; price and time formatting; reading a cookie.
//! - [`events`]: the closed lists of room and order events, their payloads and wire form.
//! - [`ports`] (server only): the traits `server` implements and provides.
//! - [`rooms`], [`console`], [`checkout`], [`live_center`]: server functions,
//!   thin adapters onto the ports, and the DTOs only they use.
//! - [`pages`], [`components`]: the UI; all text through [`i18n`].
//!
//! This crate never touches a database: with feature `ssr` it renders on the
//! server, with `hydrate` it runs in the browser as WASM.

#![recursion_limit = "512"]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod checkout;
pub mod clock;
pub mod codec;
pub mod components;
pub mod console;
pub mod cookies;
pub mod deep_link;
pub mod error;
pub mod events;
pub mod explaining;
pub mod ids;
pub mod live_center;
pub mod live_updates;
pub mod locale;
pub mod model;
pub mod money;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod reason;
pub mod rooms;
pub mod session;
#[cfg(test)]
mod ssr_render;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::{
    components::topbar::TopBar,
    i18n::I18nContextProvider,
    pages::{
        lazy::{ConsoleRoomRoute, ConsoleRoute, GoodsRoute, HomeRoute, LoginRoute, OrdersRoute},
        not_found::NotFound,
        room::RoomPage,
    },
};

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    html_document(options, (), view! { <App/> })
}

/// A room page opened from its link: [`pages::room::RoomApp`] rendered with
/// the room's data, which the page also carries for the browser to hydrate
/// from (`pages::room::ROOM_DATA_ID`). `signed_in`: the request came with a
/// session (the HTML differs only in that script's `data-session`; the
/// browser then asks who is signed in).
#[cfg(feature = "ssr")]
pub fn room_shell(options: LeptosOptions, data: model::RoomView, signed_in: bool) -> impl IntoView {
    use pages::room::{embed, RoomApp, ROOM_DATA_ID};
    let carried = embed(&data);
    let session = signed_in.then_some("");
    let carried = view! {
        <script type="application/json" id=ROOM_DATA_ID data-session=session inner_html=carried></script>
    };
    html_document(options, carried, view! { <RoomApp data signed_in/> })
}

/// The document around a page's root: the head every page shares, `head`
/// added to it, and `body`.
fn html_document(options: LeptosOptions, head: impl IntoView, body: impl IntoView) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                // Static, so they stay out of the WASM (the shell is never hydrated).
                <meta name="theme-color" content="#ff2d55"/>
                <link rel="icon" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                // The stylesheet under its content-hashed name when the build hashes.
                <HashedStylesheet options id="leptos"/>
                {head}
                <MetaTags/>
            </head>
            <body>{body}</body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::session::DemoLogins::share();
    // The browser's languages pick, the language switch's cookie overrides (`locale`).
    let preference = crate::locale::preference();
    view! {
        <I18nContextProvider ssr_lang_header_getter=preference>
            <Title text="直播好物 · Live Picks"/>
            <Router>
                <TopBar/>
                <Routes fallback=|| view! { <NotFound/> }>
                    // A room opened from its link is `RoomApp`, hydrated from
                    // the main chunk; this route serves a room reached by
                    // navigating inside the app. Every other page is a chunk
                    // loaded when it is visited (`pages::lazy`), besides the
                    // app's own chunk (`frontend::hydrate_app`).
                    <Route path=path!("/live/:live_id") view=RoomPage ssr=SsrMode::Async/>
                    <Route path=path!("") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/app/goods_detail") view={Lazy::<GoodsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/console") view={Lazy::<ConsoleRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/console/live/:live_id") view={Lazy::<ConsoleRoomRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/orders") view={Lazy::<OrdersRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
