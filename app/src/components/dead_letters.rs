//! The console's list of a room's dead letters: events no consumer could
//! handle (a kind this build does not know, a payload off its shape, or a
//! handler that kept failing), with one button that replays them all.

use leptos::prelude::*;

use crate::{
    components::dashboard::DEAD_LETTERS_ANCHOR,
    console::{get_dead_letters, RetryDeadLetters},
    i18n::*,
    ids::LiveId,
};

#[component]
pub fn DeadLetters(live_id: LiveId) -> impl IntoView {
    let i18n = use_i18n();
    let retry = ServerAction::<RetryDeadLetters>::new();
    let rows = crate::codec::resource(move || retry.version().get(), move |_| get_dead_letters(live_id));
    view! {
        <section class="panel" id=DEAD_LETTERS_ANCHOR data-testid="dead-letters">
            <h2>{t!(i18n, dead_letters)}</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t!(i18n, no_dead_letters)}</p> }.into_any(),
                        Ok(list) => {
                            let waiting = list.iter().any(|d| d.replayed_at.is_none());
                            view! {
                                <ul class="rows">
                                    {list.into_iter().map(|d| view! {
                                        <li class="row" data-testid="dead-letter">
                                            <span class="grow">{d.event_type.clone().unwrap_or_else(|| "?".into())}</span>
                                            <span class="muted">{format!("{} · {}", d.reason, d.parked_at)}</span>
                                            {d.replayed_at.is_some().then(|| view! { <span class="state delivered">{t!(i18n, replayed)}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {waiting.then(|| view! {
                                    <ActionForm action=retry>
                                        <input type="hidden" name="live_id" value=live_id.to_string()/>
                                        <button class="button small secondary" type="submit" data-testid="retry-dead-letters">{t!(i18n, retry_all)}</button>
                                    </ActionForm>
                                })}
                            }.into_any()
                        }
                        Err(_) => view! { <p class="empty">{t!(i18n, load_failed)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
