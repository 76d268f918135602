//! Tells a person, in their language, why an action failed.

use leptos::prelude::*;

use super::reason_text::reason_text;
use crate::{error::AppError, i18n::*};

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
                AppError::RateLimited => t_string!(i18n, err_rate_limited).to_string(),
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
