//! A refused input's reason, worded in the reader's language.

use leptos_i18n::I18nContext;

use crate::{
    error::{Field, Reason},
    i18n::*,
};

fn field_name(i18n: I18nContext<Locale>, field: Field) -> String {
    match field {
        Field::Title => t_string!(i18n, field_title),
        Field::Description => t_string!(i18n, field_description),
        Field::CoverUrl => t_string!(i18n, field_cover_url),
        Field::StreamUrl => t_string!(i18n, field_stream_url),
        Field::Spec => t_string!(i18n, field_spec),
    }
    .to_string()
}

pub fn reason_text(i18n: I18nContext<Locale>, reason: &Reason) -> String {
    let field = |f: Field| field_name(i18n, f);
    match reason.clone() {
        Reason::Empty { field: f } => t_string!(i18n, reason_empty, field = field(f)).to_string(),
        Reason::TooLong { field: f, max } => t_string!(i18n, reason_too_long, field = field(f), max).to_string(),
        Reason::ControlCharacters { field: f } => {
            t_string!(i18n, reason_control_characters, field = field(f)).to_string()
        }
        Reason::MultiLine { field: f } => t_string!(i18n, reason_multi_line, field = field(f)).to_string(),
        Reason::NotAUrl { field: f } => t_string!(i18n, reason_not_a_url, field = field(f)).to_string(),
        Reason::PasswordLength { min, max } => t_string!(i18n, reason_password_length, min, max).to_string(),
        Reason::UsernameShape => t_string!(i18n, reason_username_shape).to_string(),
        Reason::UsernameTaken => t_string!(i18n, reason_username_taken).to_string(),
        Reason::SkuCount { max } => t_string!(i18n, reason_sku_count, max).to_string(),
        Reason::DuplicateSpec { spec } => t_string!(i18n, reason_duplicate_spec, spec).to_string(),
        Reason::PriceRange => t_string!(i18n, reason_price_range).to_string(),
        Reason::PriceFormat => t_string!(i18n, reason_price_format).to_string(),
        Reason::StockRange => t_string!(i18n, reason_stock_range).to_string(),
        Reason::StockFormat => t_string!(i18n, reason_stock_format).to_string(),
        Reason::NoStockToBind => t_string!(i18n, reason_no_stock_to_bind).to_string(),
        Reason::AlreadyBound => t_string!(i18n, reason_already_bound).to_string(),
        Reason::PositionsMismatch => t_string!(i18n, reason_positions_mismatch).to_string(),
        Reason::ExplainUnbound => t_string!(i18n, reason_explain_unbound).to_string(),
        Reason::SaleStart => t_string!(i18n, reason_sale_start).to_string(),
        Reason::ScheduleRange => t_string!(i18n, reason_schedule_range).to_string(),
        Reason::LimitRange => t_string!(i18n, reason_limit_range).to_string(),
        Reason::ItemCount { max } => t_string!(i18n, reason_item_count, max).to_string(),
        Reason::Quantity { max } => t_string!(i18n, reason_quantity, max).to_string(),
        Reason::DuplicateSku { .. } => t_string!(i18n, reason_duplicate_sku).to_string(),
        Reason::SkuNotInRoom => t_string!(i18n, reason_sku_not_in_room).to_string(),
        Reason::RoomEnded => t_string!(i18n, reason_room_ended).to_string(),
        Reason::IdempotencyReused => t_string!(i18n, reason_idempotency_reused).to_string(),
        Reason::IdempotencyInFlight => t_string!(i18n, reason_idempotency_in_flight).to_string(),
        Reason::OrderNotUnpaid => t_string!(i18n, reason_order_not_unpaid).to_string(),
    }
}
