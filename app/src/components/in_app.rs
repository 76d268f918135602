//! For in-app browsers that block app links (WeChat, TikTok, Instagram,
//! Facebook): how to open the page in the system browser or the app, and a
//! way to continue on the web right here.

use leptos::prelude::*;

use crate::{
    deep_link::{InApp, Navigation},
    i18n::*,
    locale::text,
};

#[component]
pub fn InAppOverlay(overlay: RwSignal<Option<Navigation>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let Some(Navigation::InAppOverlay { app, web_url, universal_link }) = overlay.get() else { return None };
        let app_name = match app {
            InApp::WeChat => t_string!(i18n, in_app_wechat),
            InApp::TikTok => t_string!(i18n, in_app_tiktok),
            InApp::Instagram => "Instagram",
            InApp::Facebook => "Facebook",
        };
        Some(view! {
            <div class="overlay" data-testid="in-app-overlay" role="dialog" aria-modal="true">
                <div class="overlay-card">
                    <div class="overlay-arrow" aria-hidden="true">"↗"</div>
                    <h2>{t_string!(i18n, in_app_title, app = app_name).to_string()}</h2>
                    <p>{text(i18n, |l| td_string!(l, in_app_steps))}</p>
                    <a class="button" href=web_url data-testid="in-app-web">{text(i18n, |l| td_string!(l, in_app_continue_web))}</a>
                    <a class="button secondary" href=universal_link data-testid="in-app-app">{text(i18n, |l| td_string!(l, in_app_open_app))}</a>
                    <button class="link" on:click=move |_| overlay.set(None)>{text(i18n, |l| td_string!(l, close))}</button>
                </div>
            </div>
        })
    }
}
