//! Why well-formed input was refused (422) or conflicts with what exists (409).
//! A closed list, so the UI can word each one in the reader's language
//! (`components::notice`); its `Display` is the English message of the JSON API.
//!
//! It travels to the browser in serde's derived form (`"room_ended"`, or
//! `{"too_long":{"field":"title","max":100}}`) and is read back by a
//! hand-written `Deserialize` ([`wire`]): the derived one monomorphises a
//! struct reader per variant, ~40 KB of the room's WASM before optimisation,
//! though the room itself only ever shows "could not load".

use serde::{Deserialize, Serialize};

/// A user-written field that text checks name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    CoverUrl,
    StreamUrl,
    Spec,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Title => "title",
            Self::Description => "description",
            Self::CoverUrl => "cover_url",
            Self::StreamUrl => "stream_url",
            Self::Spec => "spec",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    // ---- text fields
    #[error("{field} must not be empty")]
    Empty { field: Field },
    #[error("{field} must have at most {max} characters")]
    TooLong { field: Field, max: usize },
    #[error("{field} must not contain control characters")]
    ControlCharacters { field: Field },
    #[error("{field} must be a single line")]
    MultiLine { field: Field },
    #[error("{field} must be an http(s) URL or a path on this site")]
    NotAUrl { field: Field },
    #[error("scheduled_at must be an RFC 3339 time within the next year")]
    ScheduleRange,
    // ---- accounts
    #[error("the password must have {min} to {max} characters")]
    PasswordLength { min: usize, max: usize },
    #[error("the username must be 3–32 letters, digits, '_', '.' or '-'")]
    UsernameShape,
    #[error("that username is taken")]
    UsernameTaken,
    // ---- goods
    #[error("a product needs 1 to {max} SKUs")]
    SkuCount { max: usize },
    #[error("the SKU spec \"{}\" appears twice", .spec.escape_debug())]
    DuplicateSpec { spec: String },
    #[error("price_cents must be between 0 and 10,000,000,000")]
    PriceRange,
    #[error("prices are amounts in yuan, such as 59.90")]
    PriceFormat,
    #[error("stock must be between 0 and 10,000,000")]
    StockRange,
    #[error("stock is a whole number")]
    StockFormat,
    // ---- binding
    #[error("goods with no stock cannot be bound")]
    NoStockToBind,
    #[error("these goods are already bound to the room")]
    AlreadyBound,
    #[error("spu_ids must list every bound product exactly once")]
    PositionsMismatch,
    #[error("only goods bound to the room can be explained")]
    ExplainUnbound,
    // ---- flash sales
    #[error("a sale starts within a week, given in whole minutes")]
    SaleStart,
    #[error("per_user_limit must be a whole number between 1 and 9999")]
    LimitRange,
    // ---- orders
    #[error("an order has 1 to {max} items")]
    ItemCount { max: usize },
    #[error("quantity must be between 1 and {max}")]
    Quantity { max: i64 },
    #[error("sku {sku_id} appears twice")]
    DuplicateSku { sku_id: i64 },
    #[error("every SKU must be one of the goods bound to this room")]
    SkuNotInRoom,
    #[error("this live room has ended")]
    RoomEnded,
    #[error("this Idempotency-Key was used for a different order")]
    IdempotencyReused,
    #[error("this Idempotency-Key is being used")]
    IdempotencyInFlight,
    // ---- payment
    #[error("only an unpaid order can be paid or cancelled")]
    OrderNotUnpaid,
}

mod wire {
    //! Reads a [`Reason`] back from its derived serde form with one visitor
    //! and one struct of every field a reason carries.

    use std::fmt;

    use serde::{
        de::{self, Deserializer, MapAccess, Visitor},
        Deserialize,
    };

    use super::{Field, Reason};

    /// Every field any reason has; each variant takes the ones it names.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Fields {
        field: Option<Field>,
        min: Option<usize>,
        max: Option<i64>,
        spec: Option<String>,
        sku_id: Option<i64>,
    }

    /// The reason `name` with `fields`, if that is one (a unit variant takes none).
    fn reason(name: &str, f: Fields) -> Option<Reason> {
        use Reason::*;
        let max = || f.max.and_then(|m| usize::try_from(m).ok());
        Some(match name {
            "empty" => Empty { field: f.field? },
            "too_long" => TooLong { field: f.field?, max: max()? },
            "control_characters" => ControlCharacters { field: f.field? },
            "multi_line" => MultiLine { field: f.field? },
            "not_a_url" => NotAUrl { field: f.field? },
            "schedule_range" => ScheduleRange,
            "password_length" => PasswordLength { min: f.min?, max: max()? },
            "username_shape" => UsernameShape,
            "username_taken" => UsernameTaken,
            "sku_count" => SkuCount { max: max()? },
            "duplicate_spec" => DuplicateSpec { spec: f.spec? },
            "price_range" => PriceRange,
            "price_format" => PriceFormat,
            "stock_range" => StockRange,
            "stock_format" => StockFormat,
            "no_stock_to_bind" => NoStockToBind,
            "already_bound" => AlreadyBound,
            "positions_mismatch" => PositionsMismatch,
            "explain_unbound" => ExplainUnbound,
            "sale_start" => SaleStart,
            "limit_range" => LimitRange,
            "item_count" => ItemCount { max: max()? },
            "quantity" => Quantity { max: f.max? },
            "duplicate_sku" => DuplicateSku { sku_id: f.sku_id? },
            "sku_not_in_room" => SkuNotInRoom,
            "room_ended" => RoomEnded,
            "idempotency_reused" => IdempotencyReused,
            "idempotency_in_flight" => IdempotencyInFlight,
            "order_not_unpaid" => OrderNotUnpaid,
            _ => return None,
        })
    }

    struct ReasonVisitor;

    impl<'de> Visitor<'de> for ReasonVisitor {
        type Value = Reason;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a reason")
        }

        fn visit_str<E: de::Error>(self, name: &str) -> Result<Reason, E> {
            reason(name, Fields::default()).ok_or_else(|| E::custom("not a reason"))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Reason, A::Error> {
            let (name, fields) = map.next_entry::<String, Fields>()?.ok_or_else(|| de::Error::custom("no reason"))?;
            reason(&name, fields).ok_or_else(|| de::Error::custom("not a reason"))
        }
    }

    impl<'de> Deserialize<'de> for Reason {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ReasonVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_message_names_the_field_as_the_contract_spells_it() {
        let reason = Reason::TooLong { field: Field::CoverUrl, max: 2048 };
        assert_eq!(reason.to_string(), "cover_url must have at most 2048 characters");
    }

    /// One of each reason. The match has no wildcard: a new variant does not
    /// compile until it is listed here, and so tested by the round trip below.
    fn one_of_each() -> Vec<Reason> {
        use Reason::*;
        let all = vec![
            Empty { field: Field::Title },
            TooLong { field: Field::CoverUrl, max: 2048 },
            ControlCharacters { field: Field::Description },
            MultiLine { field: Field::Spec },
            NotAUrl { field: Field::StreamUrl },
            ScheduleRange,
            PasswordLength { min: 8, max: 128 },
            UsernameShape,
            UsernameTaken,
            SkuCount { max: 50 },
            DuplicateSpec { spec: "红色 / L".into() },
            PriceRange,
            PriceFormat,
            StockRange,
            StockFormat,
            NoStockToBind,
            AlreadyBound,
            PositionsMismatch,
            ExplainUnbound,
            SaleStart,
            LimitRange,
            ItemCount { max: 20 },
            Quantity { max: 99 },
            DuplicateSku { sku_id: 7 },
            SkuNotInRoom,
            RoomEnded,
            IdempotencyReused,
            IdempotencyInFlight,
            OrderNotUnpaid,
        ];
        for reason in &all {
            match reason {
                Empty { .. } | TooLong { .. } | ControlCharacters { .. } | MultiLine { .. } | NotAUrl { .. } => {}
                ScheduleRange | PasswordLength { .. } | UsernameShape | UsernameTaken | SkuCount { .. } => {}
                DuplicateSpec { .. } | PriceRange | PriceFormat | StockRange | StockFormat | NoStockToBind => {}
                AlreadyBound | PositionsMismatch | ExplainUnbound | SaleStart | LimitRange | ItemCount { .. } => {}
                Quantity { .. } | DuplicateSku { .. } | SkuNotInRoom | RoomEnded | IdempotencyReused => {}
                IdempotencyInFlight | OrderNotUnpaid => {}
            }
        }
        all
    }

    #[test]
    fn every_reason_survives_the_trip_to_the_browser() {
        for reason in one_of_each() {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason, "{json}");
            let bytes = serde_json::to_vec(&crate::error::AppError::Invalid(reason.clone())).unwrap();
            let error: crate::error::AppError = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(error, crate::error::AppError::Invalid(reason));
        }
    }

    #[test]
    fn what_is_not_a_reason_is_refused() {
        for json in
            [r#""confetti""#, r#""too_long""#, r#"{"too_long":{"field":"title"}}"#, r#"{"empty":{}}"#, "{}", "7"]
        {
            assert!(serde_json::from_str::<Reason>(json).is_err(), "{json}");
        }
        let minus = r#"{"too_long":{"field":"title","max":-1}}"#;
        assert!(serde_json::from_str::<Reason>(minus).is_err());
    }
}
