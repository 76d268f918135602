//! Prices: integer cents in, a locale's way of writing yuan out.
//!
//! Simplified Chinese writes `¥1,299.00`; English writes `CN¥1,299.00`, as
//! `Intl.NumberFormat` does for CNY, so an English reader knows the currency.

/// How a locale writes a yuan amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceStyle {
    Chinese,
    English,
}

/// Formats `cents` (may be negative for refunds) with two decimals and thousands separators.
pub fn format_price(cents: i64, style: PriceStyle) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (yuan, fen) = (abs / 100, abs % 100);
    let symbol = match style {
        PriceStyle::Chinese => "¥",
        PriceStyle::English => "CN¥",
    };
    format!("{sign}{symbol}{}.{fen:02}", group_thousands(yuan))
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_prices_use_the_yuan_sign_and_two_decimals() {
        assert_eq!(format_price(29_900, PriceStyle::Chinese), "¥299.00");
        assert_eq!(format_price(5, PriceStyle::Chinese), "¥0.05");
        assert_eq!(format_price(0, PriceStyle::Chinese), "¥0.00");
    }

    #[test]
    fn english_prices_name_the_currency() {
        assert_eq!(format_price(5_990, PriceStyle::English), "CN¥59.90");
    }

    #[test]
    fn large_amounts_get_thousands_separators() {
        assert_eq!(format_price(123_456_789, PriceStyle::Chinese), "¥1,234,567.89");
        assert_eq!(format_price(100_000, PriceStyle::English), "CN¥1,000.00");
        assert_eq!(format_price(99_999, PriceStyle::English), "CN¥999.99");
    }

    #[test]
    fn negative_amounts_keep_their_sign_in_front() {
        assert_eq!(format_price(-1_050, PriceStyle::Chinese), "-¥10.50");
    }
}

/// Parses an amount typed in yuan (`59.9`, `59.90`, `1,299`, `¥12`) into cents.
pub fn parse_yuan(input: &str) -> Option<i64> {
    let cleaned: String = input.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let fen = format!("{frac:0<2}").parse::<i64>().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(fen)
}

#[cfg(test)]
mod parse_tests {
    use super::parse_yuan;

    #[test]
    fn yuan_amounts_become_cents() {
        assert_eq!(parse_yuan("59.9"), Some(5_990));
        assert_eq!(parse_yuan("59.90"), Some(5_990));
        assert_eq!(parse_yuan("¥1,299"), Some(129_900));
        assert_eq!(parse_yuan(" 0.05 "), Some(5));
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for bad in ["", "abc", "1.234", "-5", "1.2.3", ".5", "99999999999999"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}
