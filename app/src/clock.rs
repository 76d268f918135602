//! Times as people read them: RFC 3339 strings and Unix milliseconds in,
//! wall-clock text out. The server does not know the reader's time zone, so
//! it renders UTC (marked as such); once the page has hydrated the browser
//! re-renders the same times in the reader's local zone.

use leptos::prelude::*;

/// Unix milliseconds of an RFC 3339 timestamp (`2026-03-04T05:06:07.123Z`,
/// any offset, any number of fraction digits); `None` if it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first_three = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = first_three.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let (h, m) = (num_of(&rest[1..3])?, num_of(&rest[4..6])?);
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

fn num_of(part: &str) -> Option<i64> {
    part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A moment split into its calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

fn utc_fields(ms: i64) -> Fields {
    let secs = ms.div_euclid(1_000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    Fields { year, month, day, hour: of_day / 3_600, minute: of_day / 60 % 60, second: of_day % 60 }
}

/// The reader's local time (only the browser knows the zone).
#[cfg(feature = "hydrate")]
fn local_fields(ms: i64) -> Fields {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    Fields {
        year: i64::from(date.get_full_year()),
        month: i64::from(date.get_month()) + 1,
        day: i64::from(date.get_date()),
        hour: i64::from(date.get_hours()),
        minute: i64::from(date.get_minutes()),
        second: i64::from(date.get_seconds()),
    }
}

/// Fields to render: local once hydrated (`local`), UTC otherwise.
fn fields(ms: i64, local: bool) -> (Fields, &'static str) {
    #[cfg(feature = "hydrate")]
    if local {
        return (local_fields(ms), "");
    }
    let _ = local;
    (utc_fields(ms), " UTC")
}

/// `2026-03-04T14:03:22Z`: RFC 3339 in UTC, whole seconds (what the API takes).
pub fn rfc3339_utc(ms: i64) -> String {
    let f = utc_fields(ms);
    format!("{}-{:02}-{:02}T{:02}:{:02}:{:02}Z", f.year, f.month, f.day, f.hour, f.minute, f.second)
}

/// `14:03:22`: the time of day, for events of today (the ticker).
pub fn time_text(ms: i64, local: bool) -> String {
    let (f, zone) = fields(ms, local);
    format!("{:02}:{:02}:{:02}{zone}", f.hour, f.minute, f.second)
}

/// `2026-03-04 14:03`: a date and time (orders).
pub fn date_time_text(ms: i64, local: bool) -> String {
    let (f, zone) = fields(ms, local);
    format!("{}-{:02}-{:02} {:02}:{:02}{zone}", f.year, f.month, f.day, f.hour, f.minute)
}

/// `false` while the page is rendered and hydrated (both sides must render
/// the same UTC text), `true` once the browser has taken over, so times
/// rendered through it switch to the reader's zone.
pub fn local_times() -> ReadSignal<bool> {
    let local = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| local.set(true));
    local.read_only()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_read_as_unix_milliseconds() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_ms("2026-03-04T05:06:07.123Z"), Some(1_772_600_767_123));
        assert_eq!(parse_rfc3339_ms("2026-03-04T05:06:07.123456789+00:00"), Some(1_772_600_767_123));
        assert_eq!(parse_rfc3339_ms("2026-03-04T13:06:07.5+08:00"), Some(1_772_600_767_500));
        assert_eq!(parse_rfc3339_ms("2024-02-29T23:59:59-01:00"), Some(1_709_254_799_000));
    }

    #[test]
    fn anything_else_is_not_a_time() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-03-04T05:06:07",
            "2026-03-04T05:06:07.Z",
            "2026-03-04T05:06:07+0800",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_server_writes_utc_and_says_so() {
        let ms = parse_rfc3339_ms("2026-03-04T05:06:07.999Z").unwrap();
        assert_eq!(time_text(ms, false), "05:06:07 UTC");
        assert_eq!(date_time_text(ms, false), "2026-03-04 05:06 UTC");
        assert_eq!(date_time_text(0, true), "1970-01-01 00:00 UTC", "no zone to read on the server");
    }

    #[test]
    fn a_scheduled_time_goes_to_the_api_as_rfc3339_and_reads_back() {
        let ms = parse_rfc3339_ms("2026-12-01T20:30:05Z").unwrap();
        assert_eq!(rfc3339_utc(ms + 999), "2026-12-01T20:30:05Z");
        assert_eq!(parse_rfc3339_ms(&rfc3339_utc(ms)), Some(ms));
    }

    #[test]
    fn day_counts_and_dates_convert_both_ways() {
        for days in [-719_468, -1, 0, 59, 11_016, 20_516, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
