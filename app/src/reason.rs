//! Why well-formed input was refused (422) or conflicts with what exists (409).
//! A closed list, so the UI can word each one in the reader's language
//! (`components::notice`); its `Display` is the English message of the JSON API.

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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
    #[error("the SKU spec {spec:?} appears twice")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_message_names_the_field_as_the_contract_spells_it() {
        let reason = Reason::TooLong { field: Field::CoverUrl, max: 2048 };
        assert_eq!(reason.to_string(), "cover_url must have at most 2048 characters");
    }

    #[test]
    fn a_reason_survives_the_trip_to_the_browser() {
        let reason = Reason::DuplicateSpec { spec: "红色 / L".into() };
        let json = serde_json::to_string(&reason).unwrap();
        assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
    }
}
