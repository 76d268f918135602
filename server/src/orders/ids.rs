//! The values an order carries, parsed once: the attempt's global
//! transaction id, the order number and an item's quantity.

use std::fmt;

use app::error::{AppError, Reason};

/// Most of one SKU in one order.
pub const MAX_QUANTITY: i64 = 99;

/// Why a stored value is not what its column promises.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {what}: {value:?}")]
pub struct Malformed {
    what: &'static str,
    value: String,
}

/// The global transaction id of one order attempt (`xid-` and 32 hex digits):
/// the Redis reservation, the Postgres order and the sweeper meet on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Xid(String);

impl Xid {
    pub fn mint() -> Self {
        Self(format!("xid-{:032x}", rand::random::<u128>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Xid {
    type Error = Malformed;
    fn try_from(value: String) -> Result<Self, Malformed> {
        let ok = value
            .strip_prefix("xid-")
            .is_some_and(|hex| !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if ok {
            Ok(Self(value))
        } else {
            Err(Malformed { what: "xid", value })
        }
    }
}

impl fmt::Display for Xid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An order number: the UTC date and a sequence (`20261125000000000042`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrderSn(String);

impl OrderSn {
    /// Parses a number a caller sent; `None` for anything that cannot be one.
    pub fn parse(raw: &str) -> Option<Self> {
        (9..=32).contains(&raw.len()).then_some(())?;
        raw.bytes().all(|b| b.is_ascii_digit()).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for OrderSn {
    type Error = Malformed;
    fn try_from(value: String) -> Result<Self, Malformed> {
        Self::parse(&value).ok_or(Malformed { what: "order number", value })
    }
}

impl fmt::Display for OrderSn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many of one SKU an order line takes: 1 to [`MAX_QUANTITY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i32);

impl Quantity {
    pub fn parse(raw: i64) -> Result<Self, AppError> {
        if (1..=MAX_QUANTITY).contains(&raw) {
            Ok(Self(raw as i32))
        } else {
            Err(AppError::Invalid(Reason::Quantity { max: MAX_QUANTITY }))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }

    pub fn wide(self) -> i64 {
        i64::from(self.0)
    }
}

impl TryFrom<i32> for Quantity {
    type Error = Malformed;
    fn try_from(value: i32) -> Result<Self, Malformed> {
        Self::parse(i64::from(value)).map_err(|_| Malformed { what: "quantity", value: value.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_xids_read_back_and_other_strings_do_not() {
        let xid = Xid::mint();
        assert_eq!(Xid::try_from(xid.to_string()), Ok(xid.clone()));
        assert_ne!(xid, Xid::mint());
        for bad in ["", "xid-", "xid-zz", "order-12", "xid-12 "] {
            assert!(Xid::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_numbers_are_digits_only() {
        assert!(OrderSn::parse("20261125000000000042").is_some());
        for bad in ["", "2026", "2026-11-25-1", &"9".repeat(33), "20261125x00001"] {
            assert!(OrderSn::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn quantities_run_from_one_to_ninety_nine() {
        assert_eq!(Quantity::parse(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::parse(99).map(Quantity::get), Ok(99));
        for bad in [0, -1, 100, i64::MAX] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}
