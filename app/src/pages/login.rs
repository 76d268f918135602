//! `/login`: sign in or create an account. Works without JavaScript (plain
//! form posts to the server functions); `?next=` returns to a local page.
//! The demo accounts are shown only while the server has seeded them.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::notice::{action_error, ErrorNotice},
    i18n::*,
    session::{safe_next, DemoLogins, Login, Register},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let next = move || safe_next(query.read().get("next").as_deref()).unwrap_or_default();
    let login = ServerAction::<Login>::new();
    let register = ServerAction::<Register>::new();
    let demo = DemoLogins::seeded();
    view! {
        <main class="auth">
            <section class="panel">
                <h1>{t!(i18n, login_title)}</h1>
                <ActionForm action=login attr:data-testid="login-form">
                    <input type="hidden" name="next" value=next/>
                    <label>{t!(i18n, username)}<input name="username" autocomplete="username" required/></label>
                    <label>{t!(i18n, password)}<input name="password" type="password" autocomplete="current-password" required/></label>
                    <button class="button" type="submit">{t!(i18n, sign_in)}</button>
                </ActionForm>
                <ErrorNotice error=action_error(login)/>
                {demo.then(|| view! { <p class="hint" data-testid="demo-hint">{t!(i18n, demo_hint)}</p> })}
            </section>
            <section class="panel">
                <h2>{t!(i18n, register_title)}</h2>
                <ActionForm action=register attr:data-testid="register-form">
                    <input type="hidden" name="next" value=next/>
                    <label>{t!(i18n, username)}<input name="username" autocomplete="username" required minlength="3" maxlength="32"/></label>
                    <label>{t!(i18n, password)}<input name="password" type="password" autocomplete="new-password" required minlength="8" placeholder=move || t_string!(i18n, password_hint)/></label>
                    <fieldset class="roles">
                        <legend>{t!(i18n, role_label)}</legend>
                        <label class="inline"><input type="radio" name="role" value="viewer" checked/>{t!(i18n, role_viewer)}</label>
                        <label class="inline"><input type="radio" name="role" value="streamer"/>{t!(i18n, role_streamer)}</label>
                    </fieldset>
                    <button class="button secondary" type="submit">{t!(i18n, register_submit)}</button>
                </ActionForm>
                <ErrorNotice error=action_error(register)/>
            </section>
        </main>
    }
}
