//! The friendly 404 page; sets the HTTP status when rendered on the server.

use leptos::prelude::*;

use crate::{i18n::*, locale::text};

/// Sets the server response's status (no-op in the browser).
#[cfg_attr(not(feature = "ssr"), allow(unused_variables))]
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code))
    {
        response.set_status(status);
    }
}

/// Marks the server response 404 (no-op in the browser).
pub fn set_not_found_status() {
    set_status(404);
}

/// Shown for any unknown path; `room` switches the wording to a missing live room.
#[component]
pub fn NotFound(#[prop(optional)] room: bool) -> impl IntoView {
    set_not_found_status();
    let i18n = use_i18n();
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>{text(i18n, |l| td_string!(l, not_found_title))}</h1>
            <p>{text(i18n, if room { |l| td_string!(l, not_found_room) } else { |l| td_string!(l, not_found_body) })}</p>
            <a class="button" href="/">{text(i18n, |l| td_string!(l, back_home))}</a>
        </section>
    }
}
