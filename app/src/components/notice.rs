//! Tells a person, in their language, why an action failed.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use super::reason_text::reason_text;
use crate::{error::AppError, i18n::*};

/// How long to wait before trying again: seconds under a minute, else whole
/// minutes (rounded up, so nobody comes back too early).
fn wait_text(i18n: I18nContext<Locale>, secs: u64) -> String {
    if secs < 60 {
        let seconds = secs.max(1);
        t_string!(i18n, err_rate_limited_seconds, seconds).to_string()
    } else {
        let minutes = secs.div_ceil(60);
        t_string!(i18n, err_rate_limited_minutes, minutes).to_string()
    }
}

/// The error of the latest failed action, if any.
#[component]
pub fn ErrorNotice(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|err| {
            let text = match err {
                AppError::Invalid(reason) | AppError::Conflict(reason) => reason_text(i18n, &reason),
                AppError::BadRequest(_) => t_string!(i18n, err_invalid).to_string(),
                AppError::NotFound(_) => t_string!(i18n, err_not_found).to_string(),
                AppError::Forbidden(_) => t_string!(i18n, err_forbidden).to_string(),
                AppError::Unauthorized => t_string!(i18n, err_bad_credentials).to_string(),
                AppError::SoldOut => t_string!(i18n, err_sold_out).to_string(),
                AppError::PurchaseLimit => t_string!(i18n, err_purchase_limit).to_string(),
                AppError::SaleNotStarted => t_string!(i18n, err_sale_not_started).to_string(),
                AppError::RateLimited { retry_after_secs: None } => t_string!(i18n, err_rate_limited).to_string(),
                AppError::RateLimited { retry_after_secs: Some(secs) } => wait_text(i18n, secs),
                AppError::Unavailable => t_string!(i18n, err_unavailable).to_string(),
                AppError::Internal | AppError::Transport(_) => t_string!(i18n, err_generic).to_string(),
            };
            view! { <p class="error-banner" role="alert" data-testid="error">{text}</p> }
        })
    }
}

/// The error a server action ended with, as a signal.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}
