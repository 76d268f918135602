//! The top bar: the brand, linking home, and the language switch.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let switch = move |_| {
        let next = match i18n.get_locale() {
            Locale::zh_CN | Locale::zh => Locale::en,
            Locale::en => Locale::zh_CN,
        };
        i18n.set_locale(next);
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▶"</span>
                <span>{t!(i18n, app_name)}</span>
            </a>
            <nav class="nav">
            <a class="nav-link" href="/console" data-testid="nav-console">{t!(i18n, nav_console)}</a>
            <button
                class="lang-switch"
                data-testid="lang-switch"
                aria-label=move || t_string!(i18n, switch_language_label)
                on:click=switch
            >
                {t!(i18n, switch_language)}
            </button>
            </nav>
        </header>
    }
}
