//! Unit tests' way to see what the server sends: a view rendered to HTML
//! inside an owner, with the i18n layer (its default locale, Chinese).

use leptos::prelude::*;

use crate::i18n::I18nContextProvider;

/// The HTML the server would render for `view`.
pub fn render<V: IntoView + 'static>(view: impl FnOnce() -> V + Send + Sync + 'static) -> String {
    // Components create effects (they run only in the browser), and creating
    // one needs an executor; a second init is refused, harmlessly.
    let _ = any_spawner::Executor::init_futures_executor();
    Owner::new().with(|| {
        leptos_meta::provide_meta_context();
        view! { <I18nContextProvider>{view()}</I18nContextProvider> }.to_html()
    })
}
