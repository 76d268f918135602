//! The top bar: the brand, linking home, "my orders" for a signed-in user,
//! the console, and the language switch.
//!
//! Two ways in, one markup ([`Bar`]): the app's pages read the user through a
//! resource on every navigation ([`TopBar`]); the room, a page of its own
//! without the router (`pages::room::RoomApp`), asks once after hydration
//! ([`RoomTopBar`]), so its server HTML is the same for every viewer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{i18n::*, locale::text, session::current_user};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    // Signing in or out lands on another page: re-reading on every
    // navigation keeps the bar in step without a reload.
    let path = use_location().pathname;
    let user = crate::codec::resource(move || path.get(), |_| current_user());
    view! {
        <Bar>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(user.await, Ok(Some(_))).then(|| orders_link(i18n))
                })}
            </Transition>
        </Bar>
    }
}

/// The room's bar: rendered signed out, then "my orders" once the browser
/// learns who is signed in (the room's HTML is shared by anonymous viewers).
/// Only a page requested with a session (`session`) asks: a crowd of
/// anonymous viewers entering a room sends no second request each.
#[component]
pub fn RoomTopBar(session: bool) -> impl IntoView {
    let i18n = use_i18n();
    let user = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    if session {
        leptos::task::spawn_local(async move {
            if let Ok(Some(_)) = current_user().await {
                user.set(true);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = session;
    view! { <Bar>{move || user.get().then(|| orders_link(i18n))}</Bar> }
}

fn orders_link(i18n: leptos_i18n::I18nContext<Locale>) -> impl IntoView {
    view! {
        <a class="nav-link" href="/orders" data-testid="nav-orders">{text(i18n, |l| td_string!(l, nav_orders))}</a>
    }
}

/// The bar around its "my orders" slot.
#[component]
fn Bar(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let switch = move |_| {
        let next = match i18n.get_locale() {
            Locale::zh_CN | Locale::zh => Locale::en,
            Locale::en => Locale::zh_CN,
        };
        i18n.set_locale(next);
        crate::locale::remember(next);
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▶"</span>
                <span>{text(i18n, |l| td_string!(l, app_name))}</span>
            </a>
            <nav class="nav">
            {children()}
            <a class="nav-link" href="/console" data-testid="nav-console">{text(i18n, |l| td_string!(l, nav_console))}</a>
            <button
                class="lang-switch"
                data-testid="lang-switch"
                aria-label=text(i18n, |l| td_string!(l, switch_language_label))
                on:click=switch
            >
                {text(i18n, |l| td_string!(l, switch_language))}
            </button>
            </nav>
        </header>
    }
}
