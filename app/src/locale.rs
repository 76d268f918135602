//! Bridges the i18n layer's locale to formatting choices (prices).

use crate::{i18n::Locale, money::PriceStyle};

pub fn price_style(locale: Locale) -> PriceStyle {
    match locale {
        Locale::zh_CN | Locale::zh => PriceStyle::Chinese,
        Locale::en => PriceStyle::English,
    }
}
