//! Bridges the i18n layer's locale to formatting choices (prices), and keeps
//! the language switch's choice in a cookie.
//!
//! The browser's languages pick the locale (`Accept-Language` on the server;
//! the page's `<html lang>` when hydrating); the switch overrides them for a
//! year, site-wide, through the `i18n_pref_locale` cookie. The server reads
//! the cookie first ([`preference`]); the browser writes it ([`remember`]).
//! This is done here rather than with leptos_i18n's `cookie` feature, which
//! would link leptos-use's cookie handling (the `cookie` and `time` crates)
//! into the room's WASM for what is one `document.cookie` assignment.

use crate::{i18n::Locale, money::PriceStyle};

/// The cookie that holds the language switch's choice.
pub const COOKIE: &str = "i18n_pref_locale";
/// How long the choice is remembered.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const REMEMBERED_S: u32 = 365 * 24 * 60 * 60;

/// A fixed text in the reader's language that follows the language switch,
/// for the views of the room's bundle: `text(i18n, |l| td_string!(l, key))`
/// renders as `t!(i18n, key)` does, as a child or an attribute's value. Each
/// `t!` is a closure type of its own, and each brings its own copy of the
/// reactive text's render code into the WASM; this is one closure type for
/// all of them.
pub fn text(
    i18n: leptos_i18n::I18nContext<Locale>,
    key: fn(Locale) -> &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || key(i18n.get_locale())
}

pub fn price_style(locale: Locale) -> PriceStyle {
    match locale {
        Locale::zh_CN | Locale::zh => PriceStyle::Chinese,
        Locale::en => PriceStyle::English,
    }
}

/// The locale a `Cookie` header chose with the switch, if it names one we have.
pub fn from_cookie_header(header: &str) -> Option<Locale> {
    crate::cookies::value(header, COOKIE)?.parse().ok()
}

/// What the server renders in: the switch's cookie when it names a locale,
/// else the request's `Accept-Language`. For `I18nContextProvider`'s
/// `ssr_lang_header_getter` (leptos-use reads it as an `Accept-Language` value).
#[cfg(feature = "ssr")]
pub fn preference() -> leptos_i18n::context::UseLocalesOptions {
    use leptos::prelude::use_context;
    let getter = || {
        let parts = use_context::<http::request::Parts>()?;
        // HTTP/2 may send the cookies as several `Cookie` headers.
        let cookies = parts.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok());
        match cookies.filter_map(from_cookie_header).next() {
            Some(chosen) => Some(chosen.to_string()),
            None => {
                let accepted = parts.headers.get(http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                Some(accepted.unwrap_or_default().to_owned())
            }
        }
    };
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(getter)
}

/// In the browser the page's `<html lang>` carries the server's choice (the
/// getter is only asked on the server).
#[cfg(not(feature = "ssr"))]
pub fn preference() -> leptos_i18n::context::UseLocalesOptions {
    Default::default()
}

/// Remembers the switch's choice for the next pages (a no-op on the server).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn remember(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let document = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>();
        if let Ok(document) = document {
            let cookie = format!("{COOKIE}={locale}; Path=/; Max-Age={REMEMBERED_S}; SameSite=Lax");
            let _ = document.set_cookie(&cookie);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_cookie_is_read_among_others_and_only_when_it_names_a_locale() {
        assert_eq!(from_cookie_header("session=abc; i18n_pref_locale=en"), Some(Locale::en));
        assert_eq!(from_cookie_header(" i18n_pref_locale = zh-CN ;x=1"), Some(Locale::zh_CN));
        assert_eq!(from_cookie_header("i18n_pref_locale=fr"), None);
        assert_eq!(from_cookie_header("my_i18n_pref_locale=en"), None);
        assert_eq!(from_cookie_header(""), None);
    }

    #[cfg(feature = "ssr")]
    mod rendered {
        use super::super::preference;
        use crate::i18n::*;
        use leptos::prelude::*;

        #[component]
        fn Probe() -> impl IntoView {
            let i18n = use_i18n();
            view! { <p>{t!(i18n, tray_hide)}</p> }
        }

        /// What the server renders for a request with these headers.
        fn rendered(headers: &[(&str, &str)]) -> String {
            let _ = any_spawner::Executor::init_futures_executor();
            let request = headers.iter().fold(http::Request::builder(), |r, (name, value)| r.header(*name, *value));
            let (parts, ()) = request.body(()).unwrap().into_parts();
            Owner::new().with(|| {
                provide_context(parts);
                leptos_meta::provide_meta_context();
                view! { <I18nContextProvider ssr_lang_header_getter=preference()><Probe/></I18nContextProvider> }
                    .to_html()
            })
        }

        #[test]
        fn the_switch_cookie_overrides_the_browser_languages_and_a_bad_one_is_ignored() {
            assert!(rendered(&[("accept-language", "zh-CN,zh;q=0.9")]).contains("收起商品"));
            assert!(rendered(&[("accept-language", "en-US,en;q=0.9")]).contains("Hide products"));
            let chosen = [("accept-language", "zh-CN,zh;q=0.9"), ("cookie", "sid=1; i18n_pref_locale=en")];
            assert!(rendered(&chosen).contains("Hide products"));
            let back = [("accept-language", "en-US"), ("cookie", "i18n_pref_locale=zh-CN")];
            assert!(rendered(&back).contains("收起商品"));
            let bogus = [("accept-language", "en-US"), ("cookie", "i18n_pref_locale=xx")];
            assert!(rendered(&bogus).contains("Hide products"));
            let split = [("accept-language", "zh-CN"), ("cookie", "sid=1"), ("cookie", "i18n_pref_locale=en")];
            assert!(rendered(&split).contains("Hide products"), "cookies in several headers (HTTP/2)");
        }
    }
}
