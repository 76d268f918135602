//! The router in the browser: reads the platform, mints the tap's trace id,
//! sends the click beacon (never delaying the navigation) and navigates, all
//! inside the click handler (Chrome blocks app launches from timers).

use wasm_bindgen::{closure::Closure, JsCast};

use super::{DeepLinkRouter, JumpParams, Navigation, Platform};

/// A W3C trace id: 32 lowercase hex digits, random.
pub fn mint_trace_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The platform of this browser; iPadOS Safari reports itself as a Mac, so
/// a touch screen on a "Mac" counts as iOS.
pub fn platform() -> Platform {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Platform::Desktop };
    let ua = navigator.user_agent().unwrap_or_default();
    match Platform::detect(&ua) {
        Platform::Desktop if ua.contains("Macintosh") && navigator.max_touch_points() > 1 => Platform::Ios,
        other => other,
    }
}

/// `navigator.sendBeacon` of a JSON body to `/api/track`.
pub fn beacon(event: &str, params: &JumpParams) {
    let body = serde_json::json!({
        "event": event,
        "live_id": params.live_id,
        "spu_id": params.spu_id,
        "tracking_code": params.tracking_code,
        "trace_id": params.trace_id,
        "source_type": params.source,
    })
    .to_string();
    // A string body goes as text/plain: no preflight, and /api/track reads it as JSON.
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().send_beacon_with_opt_str("/api/track", Some(&body));
    }
}

fn go(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}

/// Runs the router for a tap; returns the overlay to show for in-app browsers.
pub fn open(router: &DeepLinkRouter, params: &JumpParams) -> Option<Navigation> {
    beacon("click", params);
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    match router.route(params, platform(), &origin) {
        Navigation::UniversalLink(url) | Navigation::Intent(url) | Navigation::Web(url) => {
            go(&url);
            None
        }
        Navigation::SchemeThenWeb { scheme_url, web_url, after_ms } => {
            go(&scheme_url);
            // If the app opened, the page is hidden by the time the timer fires.
            let fallback = Closure::once_into_js(move || {
                let visible = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
                if visible {
                    go(&web_url);
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(fallback.unchecked_ref(), after_ms as i32);
            }
            None
        }
        overlay @ Navigation::InAppOverlay { .. } => Some(overlay),
    }
}
