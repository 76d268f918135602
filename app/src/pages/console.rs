//! `/console`: the streamer's rooms and products; create either.

use leptos::prelude::*;

use crate::{
    components::notice::{action_error, ErrorNotice},
    console::{get_overview, CreateGoods, CreateRoom, Overview},
    error::AppError,
    i18n::*,
    locale::price_style,
    money::format_price,
    session::Logout,
};

/// What to show instead of the console when the caller may not use it.
#[component]
pub fn ConsoleGate(error: AppError, next: String) -> impl IntoView {
    let i18n = use_i18n();
    let login = format!("/login?next={next}");
    view! {
        <section class="panel gate" data-testid="console-gate">
            {match error {
                AppError::Forbidden(_) => view! { <p>{t!(i18n, streamers_only)}</p> }.into_any(),
                AppError::Unauthorized => view! { <p>{t!(i18n, please_sign_in)}</p> }.into_any(),
                other => view! { <ErrorNotice error=Signal::derive(move || Some(other.clone()))/> }.into_any(),
            }}
            <a class="button" href=login>{t!(i18n, sign_in)}</a>
        </section>
    }
}

#[component]
pub fn ConsolePage() -> impl IntoView {
    let i18n = use_i18n();
    let create_room = ServerAction::<CreateRoom>::new();
    let create_goods = ServerAction::<CreateGoods>::new();
    let logout = ServerAction::<Logout>::new();
    let data =
        crate::codec::resource(move || (create_room.version().get(), create_goods.version().get()), |_| get_overview());
    view! {
        <main class="console">
            <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(error) => view! { <ConsoleGate error next="/console".to_owned()/> }.into_any(),
                        Ok(Overview { user, rooms, goods }) => view! {
                            <header class="console-head">
                                <h1>{t!(i18n, console_title)}</h1>
                                <span class="who">{t_string!(i18n, signed_in_as, name = user.username.clone()).to_string()}</span>
                                <ActionForm action=logout><button class="link" type="submit">{t!(i18n, sign_out)}</button></ActionForm>
                            </header>
                            <section class="panel">
                                <h2>{t!(i18n, my_rooms)}</h2>
                                {if rooms.is_empty() {
                                    view! { <p class="empty">{t!(i18n, no_rooms)}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="rows" data-testid="my-rooms">
                                            {rooms.into_iter().map(|room| view! {
                                                <li class="row">
                                                    <span class="grow">{room.title}</span>
                                                    <a class="button small" href=format!("/console/live/{}", room.live_id) data-testid="manage-room">{t!(i18n, manage_room)}</a>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <h3>{t!(i18n, create_room)}</h3>
                                <ActionForm action=create_room attr:class="inline-form" attr:data-testid="create-room">
                                    <input name="title" required maxlength="100" placeholder=move || t_string!(i18n, room_title)/>
                                    <input name="stream_url" type="url" placeholder=move || t_string!(i18n, stream_url_optional)/>
                                    <input name="starts_in_minutes" type="number" min="1" step="1" inputmode="numeric"
                                        data-testid="starts-in-minutes" placeholder=move || t_string!(i18n, starts_in_minutes_optional)/>
                                    <button class="button" type="submit">{t!(i18n, create)}</button>
                                </ActionForm>
                                <ErrorNotice error=action_error(create_room)/>
                            </section>
                            <section class="panel">
                                <h2>{t!(i18n, my_goods)}</h2>
                                {if goods.is_empty() {
                                    view! { <p class="empty">{t!(i18n, no_goods)}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="rows" data-testid="my-goods">
                                            {goods.into_iter().map(|spu| {
                                                let low = spu.skus.iter().map(|k| k.price_cents).min().unwrap_or(0);
                                                let stock: i64 = spu.skus.iter().map(|k| k.stock).sum();
                                                view! {
                                                    <li class="row">
                                                        <span class="grow">{spu.title}</span>
                                                        <span class="price">{move || format_price(low, price_style(i18n.get_locale()))}</span>
                                                        <span class="muted">{move || t_string!(i18n, stock_of, count = stock).to_string()}</span>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <h3>{t!(i18n, create_goods)}</h3>
                                <ActionForm action=create_goods attr:class="stack-form" attr:data-testid="create-goods">
                                    <input name="title" required maxlength="100" placeholder=move || t_string!(i18n, goods_title)/>
                                    <input name="description" maxlength="5000" placeholder=move || t_string!(i18n, description)/>
                                    <input name="cover_url" placeholder=move || t_string!(i18n, cover_url)/>
                                    {[1, 2].into_iter().map(|n| view! {
                                        <div class="sku-row">
                                            <input name=format!("spec_{n}") required=n == 1 placeholder=move || t_string!(i18n, sku_row, n = n).to_string()/>
                                            <input name=format!("price_{n}") inputmode="decimal" required=n == 1 placeholder=move || t_string!(i18n, sku_price)/>
                                            <input name=format!("stock_{n}") inputmode="numeric" required=n == 1 placeholder=move || t_string!(i18n, sku_stock)/>
                                        </div>
                                    }).collect_view()}
                                    <button class="button" type="submit">{t!(i18n, create)}</button>
                                </ActionForm>
                                <ErrorNotice error=action_error(create_goods)/>
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
