//! Building the links and choosing the navigation for a platform.

use serde::{Deserialize, Serialize};

use super::{
    encode::encode_component,
    platform::{InApp, Platform},
    source::SourceType,
};
use crate::ids::{LiveId, SpuId};

/// Other mobile browsers try the scheme, then go to the web page after this
/// long unless the page was hidden (the app opened).
pub const SCHEME_FALLBACK_MS: u32 = 1_500;

/// The app's link identity, from the server's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// The app's URL scheme, e.g. `livepicks`.
    pub scheme: String,
    /// The Universal Link / App Link host; never the host serving the room.
    pub link_host: String,
    /// The Android package, for `intent:` URLs.
    pub android_package: String,
    /// Where to get the app (https URLs from configuration).
    pub ios_store_url: String,
    pub android_store_url: String,
}

impl LinkConfig {
    /// A scheme the router may produce: a valid scheme that is not one of the
    /// web's own (http, https, javascript, data, file, ...).
    pub fn valid_scheme(scheme: &str) -> bool {
        let mut chars = scheme.chars();
        let well_formed = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
            && scheme.len() <= 32;
        let reserved = [
            "http",
            "https",
            "javascript",
            "data",
            "file",
            "blob",
            "about",
            "vbscript",
            "intent",
            "ftp",
            "ws",
            "wss",
            "mailto",
            "tel",
        ];
        well_formed && !reserved.contains(&scheme)
    }

    /// A host name (optionally with a port), nothing else: no path, user or scheme.
    pub fn valid_host(host: &str) -> bool {
        let (name, port) = host.rsplit_once(':').map_or((host, None), |(n, p)| (n, Some(p)));
        let name_ok = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        name_ok && port_ok
    }

    pub fn valid_package(package: &str) -> bool {
        package.split('.').count() >= 2
            && package.split('.').all(|part| {
                part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    }

    pub fn is_valid(&self) -> bool {
        Self::valid_scheme(&self.scheme)
            && Self::valid_host(&self.link_host)
            && Self::valid_package(&self.android_package)
            && [&self.ios_store_url, &self.android_store_url].iter().all(|u| Self::valid_store_url(u))
    }

    pub fn valid_store_url(url: &str) -> bool {
        url.strip_prefix("https://").is_some_and(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            Self::valid_host(host)
                && !url.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\' | '\''))
        })
    }
}

/// A card's jump parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpParams {
    pub spu_id: SpuId,
    pub live_id: LiveId,
    /// The binding's tracking code (the source's `live_tracking_code`).
    pub tracking_code: String,
    /// Minted per tap; follows click → view → order.
    pub trace_id: String,
    /// The live stream or its replay.
    pub source: SourceType,
}

/// The longest trace id accepted (W3C `traceparent` is 55, SkyWalking ids ~60).
pub const MAX_TRACE_ID_LEN: usize = 128;

/// A binding's tracking code, as the server mints it: `[A-Za-z0-9_-]{1,64}`.
pub fn valid_tracking_code(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A trace id as real tracers write it: W3C trace-context (`00-<32 hex>-<16
/// hex>-<2 hex>` or the bare 32-hex trace id), SkyWalking
/// (`segment.thread.timestamp`), UUIDs: at most [`MAX_TRACE_ID_LEN`] ASCII
/// letters, digits and `-_.:`. Links carry it percent-encoded.
pub fn valid_trace_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_TRACE_ID_LEN
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Where a tap goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Navigation {
    /// iOS: the Universal Link; iOS opens the app if installed, else the page.
    UniversalLink(String),
    /// Android Chrome: an `intent:` URL with the package and a browser fallback.
    Intent(String),
    /// Other mobile browsers: try the scheme, then the web page after a timeout
    /// unless the page was hidden.
    SchemeThenWeb { scheme_url: String, web_url: String, after_ms: u32 },
    /// In-app browsers that block schemes: explain, and offer the web page.
    InAppOverlay { app: InApp, web_url: String, universal_link: String },
    /// Desktop: the web goods page.
    Web(String),
}

pub struct DeepLinkRouter {
    config: LinkConfig,
}

impl DeepLinkRouter {
    /// `None` when the configuration would produce links outside the allow-list.
    pub fn new(config: LinkConfig) -> Option<Self> {
        config.is_valid().then_some(Self { config })
    }

    /// The goods page query: `spu_id`, `source_type` (`live`, or `replay` for
    /// a tap on a replay), `live_id`, and the tracking code and trace id when
    /// they are well-formed.
    pub fn query(params: &JumpParams) -> String {
        let mut query =
            format!("spu_id={}&source_type={}&live_id={}", params.spu_id, params.source.as_str(), params.live_id);
        if valid_tracking_code(&params.tracking_code) {
            query.push_str(&format!("&tracking_code={}", encode_component(&params.tracking_code)));
        }
        if valid_trace_id(&params.trace_id) {
            query.push_str(&format!("&trace_id={}", encode_component(&params.trace_id)));
        }
        query
    }

    /// `{scheme}://app/goods_detail?...`
    pub fn scheme_url(&self, params: &JumpParams) -> String {
        format!("{}://app/goods_detail?{}", self.config.scheme, Self::query(params))
    }

    /// `https://{link_host}/app/goods_detail?...`
    pub fn universal_link(&self, params: &JumpParams) -> String {
        format!("https://{}/app/goods_detail?{}", self.config.link_host, Self::query(params))
    }

    /// The web goods page on this site (a path, so it can never leave the site).
    pub fn web_path(params: &JumpParams) -> String {
        format!("/app/goods_detail?{}", Self::query(params))
    }

    /// `intent://app/goods_detail?...#Intent;scheme=..;package=..;S.browser_fallback_url=..;end`;
    /// the fallback is this site's goods page (`origin` is the page's own origin).
    pub fn intent_url(&self, params: &JumpParams, origin: &str) -> String {
        let fallback = format!("{}{}", self.fallback_origin(origin), Self::web_path(params));
        format!(
            "intent://app/goods_detail?{}#Intent;scheme={};package={};S.browser_fallback_url={};end",
            Self::query(params),
            self.config.scheme,
            self.config.android_package,
            encode_component(&fallback),
        )
    }

    /// `origin` if it is a plain http(s) origin, else the link host's.
    fn fallback_origin(&self, origin: &str) -> String {
        let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        match host {
            Some(h) if LinkConfig::valid_host(&h.to_ascii_lowercase()) => origin.to_ascii_lowercase(),
            _ => format!("https://{}", self.config.link_host),
        }
    }

    /// The navigation for a tap on `platform`. `origin` is the page's own
    /// origin (`https://shop.example`), used only for the Android fallback.
    pub fn route(&self, params: &JumpParams, platform: Platform, origin: &str) -> Navigation {
        match platform {
            Platform::Ios => Navigation::UniversalLink(self.universal_link(params)),
            Platform::AndroidChrome => Navigation::Intent(self.intent_url(params, origin)),
            Platform::AndroidOther => Navigation::SchemeThenWeb {
                scheme_url: self.scheme_url(params),
                web_url: Self::web_path(params),
                after_ms: SCHEME_FALLBACK_MS,
            },
            Platform::InApp(app) => Navigation::InAppOverlay {
                app,
                web_url: Self::web_path(params),
                universal_link: self.universal_link(params),
            },
            Platform::Desktop => Navigation::Web(Self::web_path(params)),
        }
    }
}
