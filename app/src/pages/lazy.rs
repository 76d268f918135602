//! The pages a viewer in a room never needs, loaded on demand: each is a
//! lazy route (`#[lazy_route]`), so its code sits in a WASM chunk of its own
//! (`cargo leptos build --split`), loaded after the app's own chunk
//! (`frontend::hydrate_app`). A room opened from its link loads neither: it
//! hydrates from the main chunk (`pages::room::RoomApp`).
//!
//! Each route has no data half of its own: the page's resources start when
//! its view runs, as before, on the server and in the browser alike.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use super::{
    console::ConsolePage, console_room::ConsoleRoomPage, goods::GoodsDetailPage, home::HomePage, login::LoginPage,
    orders::OrdersPage,
};

/// Declares a lazy route that shows one page component.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/`: the live rooms.
    HomeRoute => HomePage
);
lazy_page!(
    /// `/login`.
    LoginRoute => LoginPage
);
lazy_page!(
    /// `/app/goods_detail`: the web goods page.
    GoodsRoute => GoodsDetailPage
);
lazy_page!(
    /// `/console`: the streamer's console.
    ConsoleRoute => ConsolePage
);
lazy_page!(
    /// `/console/live/{id}`: a room's console and live center.
    ConsoleRoomRoute => ConsoleRoomPage
);
lazy_page!(
    /// `/orders`: my orders.
    OrdersRoute => OrdersPage
);
