//! Identifier newtypes, parsed once at the edge so raw strings never reach a query.
//!
//! Every id in the public contract is a positive integer (a JSON number).

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Why a string or number is not a valid id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a positive integer")]
pub struct InvalidId {
    pub name: &'static str,
}

macro_rules! positive_id {
    ($(#[$doc:meta])* $ty:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = i64, minimum = 1))]
        pub struct $ty(i64);

        impl $ty {
            pub const NAME: &'static str = $name;

            /// Accepts only positive values.
            pub fn new(value: i64) -> Result<Self, InvalidId> {
                if value > 0 { Ok(Self(value)) } else { Err(InvalidId { name: $name }) }
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $ty {
            type Error = InvalidId;
            fn try_from(value: i64) -> Result<Self, InvalidId> {
                Self::new(value)
            }
        }

        impl From<$ty> for i64 {
            fn from(id: $ty) -> i64 {
                id.0
            }
        }

        impl FromStr for $ty {
            type Err = InvalidId;
            /// Decimal digits only: no sign, no spaces, no leading `+`.
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(InvalidId { name: $name });
                }
                s.parse::<i64>().map_err(|_| InvalidId { name: $name }).and_then(Self::new)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// A live room (the source's `live_id`).
    LiveId, "live_id"
);
positive_id!(
    /// A product (standard product unit).
    SpuId, "spu_id"
);
positive_id!(
    /// A sellable variant of a product (stock-keeping unit).
    SkuId, "sku_id"
);
positive_id!(
    /// An account.
    UserId, "user_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positive_decimal_ids() {
        assert_eq!("456".parse::<LiveId>().unwrap().get(), 456);
    }

    #[test]
    fn rejects_everything_that_is_not_a_positive_decimal() {
        for bad in ["", "0", "-1", "+1", " 1", "1 ", "abc", "1e3", "0x10", "99999999999999999999", "1.5"] {
            assert!(bad.parse::<LiveId>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn json_numbers_round_trip_and_non_positive_ones_fail() {
        let id: SpuId = serde_json::from_str("123").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "123");
        assert!(serde_json::from_str::<SpuId>("0").is_err());
        assert!(serde_json::from_str::<SpuId>("\"12\"").is_err());
    }

    #[test]
    fn the_error_names_the_field() {
        assert_eq!("x".parse::<SkuId>().unwrap_err().to_string(), "sku_id must be a positive integer");
    }
}
