//! The flash-sale countdown on cards and the goods page: "starts in 04:59",
//! ticking every second in the browser, gone once the sale has started.

use leptos::prelude::*;

use crate::i18n::*;

/// Milliseconds since the Unix epoch, on either side.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// The time now, as a signal that ticks every second in the browser (and
/// stops with its owner); fixed at render time on the server.
pub fn ticking_now() -> RwSignal<i64> {
    let now = RwSignal::new(now_ms());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    }
    now
}

/// `mm:ss`, or `h:mm:ss` from an hour on; rounded up so 0.2 s left shows 00:01.
pub fn format_left(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[component]
pub fn Countdown(starts_at_ms: i64) -> impl IntoView {
    let i18n = use_i18n();
    let now = ticking_now();
    move || {
        let left = starts_at_ms - now.get();
        (left > 0).then(|| {
            view! {
                <span class="countdown" data-testid="countdown">
                    {t_string!(i18n, starts_in, time = format_left(left)).to_string()}
                </span>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::format_left;

    #[test]
    fn time_left_reads_as_a_clock() {
        assert_eq!(format_left(59_000), "00:59");
        assert_eq!(format_left(200), "00:01");
        assert_eq!(format_left(61_000), "01:01");
        assert_eq!(format_left(3_600_000 + 5_000), "1:00:05");
        assert_eq!(format_left(-5), "00:00");
    }
}
