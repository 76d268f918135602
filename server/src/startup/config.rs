//! One configuration struct, read once from the environment at start-up.
//!
//! Every value has a default that makes `cargo leptos watch` / the README's run
//! command work on a fresh machine of this kind; the README documents them all.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use leptos::prelude::LeptosOptions;

use crate::{http::TrustedProxies, links::Links, video::VideoUrls};

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub redis_url: String,
    /// Prefixes every Redis key, stream and consumer group (tests use one per test).
    pub redis_key_prefix: String,
    pub site_addr: SocketAddr,
    pub leptos: LeptosOptions,
    /// Seed the demo streamer, room and goods at start-up (off by default;
    /// refused together with `cookie_secure`, i.e. in production).
    pub demo_data: bool,
    /// Anti-abuse limits; `LIVE_RATE_LIMITS=off` switches them off for load tests.
    pub rate_limits: bool,
    /// Serve anonymous room pages from the per-process page cache
    /// (`LIVE_PAGE_CACHE=off` renders every request, e.g. to compare).
    pub page_cache: bool,
    /// The reverse proxies whose `X-Forwarded-For` names the client
    /// (`LIVE_TRUSTED_PROXIES`: addresses and CIDRs, comma-separated; default none).
    pub trusted_proxies: TrustedProxies,
    /// Mark the session cookie `Secure` (`LIVE_COOKIE_SECURE=1` behind HTTPS).
    pub cookie_secure: bool,
    /// How long a stream entry may sit unacknowledged by a consumer before
    /// another consumer takes it over (`LIVE_CLAIM_IDLE_MS`).
    pub claim_idle: Duration,
    /// The app's deep-link identity and store fallbacks.
    pub links: Links,
    /// Usernames allowed the global operations (`LIVE_OPERATORS`), lowercased.
    pub operators: Vec<String>,
    /// How often each process reconciles the gate's counters of active rooms
    /// with Postgres (`LIVE_RECONCILE_INTERVAL_MS`).
    pub reconcile_every: Duration,
    /// Longest one statement of an order transaction may run before the order
    /// answers 503 (`LIVE_ORDER_STATEMENT_TIMEOUT_MS`).
    pub order_statement_timeout: Duration,
    /// Open event streams this process serves at most (`LIVE_SSE_MAX_CONNECTIONS`).
    pub sse_max_connections: usize,
    /// Open event streams one client address may hold (`LIVE_SSE_MAX_PER_ADDRESS`):
    /// generous, since a carrier-grade NAT puts hundreds of viewers behind one.
    pub sse_max_per_address: usize,
    /// How long an order may stay unpaid before it expires (`LIVE_ORDER_PAY_TIMEOUT_S`).
    pub pay_timeout: Duration,
    /// How often `live_goods_sales` is refreshed, by one process of all (`LIVE_VIEW_REFRESH_S`).
    pub view_refresh_every: Duration,
    /// How old a committed order whose event never reached the statistics must
    /// be before the reconciler counts it directly (`LIVE_STATS_GRACE_MS`).
    pub stats_grace: Duration,
    /// The sandbox payment provider's signing secret (`LIVE_PAYMENT_SANDBOX_SECRET`);
    /// unset, one is generated once and kept in Postgres for every process.
    pub payment_secret: Option<String>,
    /// Live video: the RTMP ingest, the HLS output and nginx's hook secret
    /// (`LIVE_RTMP_URL`, `LIVE_HLS_URL`, `LIVE_HLS_ORIGIN`, `LIVE_RTMP_HOOK_SECRET`).
    pub video: VideoUrls,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/live_commerce";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/0";
const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
/// The name cargo-leptos gives the wasm/js/css files (`[[workspace.metadata.leptos]] name`).
const DEFAULT_OUTPUT_NAME: &str = "live-commerce";

/// Whether the built assets carry content hashes: as `LEPTOS_HASH_FILES`
/// says when set, else whether cargo-leptos left its `hash.txt` beside the
/// binary (it does for this workspace, `hash-files = true`), so the binary
/// started with only the documented variables finds its hashed files.
fn hashed_assets(setting: Option<String>) -> bool {
    match setting {
        Some(value) => matches!(value.trim(), "1" | "true"),
        None => beside_binary("hash.txt").is_some_and(|file| file.is_file()),
    }
}

/// The file `name` in the running binary's directory, where cargo-leptos
/// leaves `hash.txt` (the content hashes of the built assets).
pub fn beside_binary(name: &str) -> Option<std::path::PathBuf> {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(name)))
}

impl Config {
    /// Reads the environment. Fails only on values that are set but malformed.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| DEFAULT_SITE_ADDR.to_owned())
            .parse()
            .context("LEPTOS_SITE_ADDR must be an address such as 127.0.0.1:3000")?;
        let leptos = LeptosOptions::builder()
            .output_name(
                var("LEPTOS_OUTPUT_NAME")
                    .or_else(|| option_env!("LEPTOS_OUTPUT_NAME").map(str::to_owned))
                    .unwrap_or_else(|| DEFAULT_OUTPUT_NAME.to_owned()),
            )
            .site_root(var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()))
            .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".to_owned()))
            .site_addr(site_addr)
            .hash_files(hashed_assets(var("LEPTOS_HASH_FILES")))
            .build();
        let demo_data = parse_flag("LIVE_DEMO_DATA", var("LIVE_DEMO_DATA"), false)?;
        let cookie_secure = parse_flag("LIVE_COOKIE_SECURE", var("LIVE_COOKIE_SECURE"), false)?;
        anyhow::ensure!(
            !(demo_data && cookie_secure),
            "LIVE_DEMO_DATA is on with LIVE_COOKIE_SECURE=1: demo data (accounts with published passwords) \
             never loads in production; unset LIVE_DEMO_DATA"
        );
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            redis_url: var("REDIS_URL").unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned()),
            redis_key_prefix: lookup("REDIS_KEY_PREFIX").unwrap_or_default(),
            site_addr,
            leptos,
            demo_data,
            rate_limits: !matches!(var("LIVE_RATE_LIMITS").as_deref(), Some("off" | "0" | "false")),
            page_cache: !matches!(var("LIVE_PAGE_CACHE").as_deref(), Some("off" | "0" | "false")),
            trusted_proxies: var("LIVE_TRUSTED_PROXIES")
                .unwrap_or_default()
                .parse()
                .context("LIVE_TRUSTED_PROXIES must list IP addresses or CIDRs, comma-separated")?,
            cookie_secure,
            claim_idle: millis("LIVE_CLAIM_IDLE_MS", var("LIVE_CLAIM_IDLE_MS"), 30_000)?,
            links: Links::from_vars(var)?,
            operators: var("LIVE_OPERATORS")
                .unwrap_or_default()
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect(),
            reconcile_every: millis("LIVE_RECONCILE_INTERVAL_MS", var("LIVE_RECONCILE_INTERVAL_MS"), 5_000)?,
            order_statement_timeout: millis(
                "LIVE_ORDER_STATEMENT_TIMEOUT_MS",
                var("LIVE_ORDER_STATEMENT_TIMEOUT_MS"),
                10_000,
            )?,
            sse_max_connections: parse_cap("LIVE_SSE_MAX_CONNECTIONS", var("LIVE_SSE_MAX_CONNECTIONS"), 10_000)?,
            sse_max_per_address: parse_cap("LIVE_SSE_MAX_PER_ADDRESS", var("LIVE_SSE_MAX_PER_ADDRESS"), 1_000)?,
            pay_timeout: seconds("LIVE_ORDER_PAY_TIMEOUT_S", var("LIVE_ORDER_PAY_TIMEOUT_S"), 900)?,
            view_refresh_every: seconds("LIVE_VIEW_REFRESH_S", var("LIVE_VIEW_REFRESH_S"), 300)?,
            stats_grace: millis("LIVE_STATS_GRACE_MS", var("LIVE_STATS_GRACE_MS"), 10_000)?,
            payment_secret: var("LIVE_PAYMENT_SANDBOX_SECRET"),
            video: video_urls(&var)?,
        })
    }
}

/// The live-video settings; each URL must be absolute (http(s) or rtmp).
fn video_urls(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<VideoUrls> {
    let defaults = VideoUrls::default();
    let url = |name: &str, schemes: &[&str], default: &str| -> anyhow::Result<String> {
        let value = var(name).unwrap_or_else(|| default.to_owned());
        anyhow::ensure!(
            schemes.iter().any(|s| value.starts_with(&format!("{s}://"))) && !value.contains(char::is_whitespace),
            "{name} must be an absolute {} URL",
            schemes.join(" or ")
        );
        Ok(value.trim_end_matches('/').to_owned())
    };
    let hls = url("LIVE_HLS_URL", &["http", "https"], &defaults.hls)?;
    let hls_origin = match var("LIVE_HLS_ORIGIN") {
        Some(_) => url("LIVE_HLS_ORIGIN", &["http", "https"], &hls)?,
        None => hls.clone(),
    };
    Ok(VideoUrls {
        rtmp: url("LIVE_RTMP_URL", &["rtmp", "rtmps"], &defaults.rtmp)?,
        hls,
        hls_origin,
        hook_secret: var("LIVE_RTMP_HOOK_SECRET"),
    })
}

fn millis(name: &str, value: Option<String>, default: u64) -> anyhow::Result<Duration> {
    let ms =
        value.map(|v| v.trim().parse::<u64>().with_context(|| format!("{name} must be milliseconds"))).transpose()?;
    Ok(Duration::from_millis(ms.unwrap_or(default)))
}

/// A positive whole number of seconds.
fn seconds(name: &str, value: Option<String>, default: u64) -> anyhow::Result<Duration> {
    match value {
        None => Ok(Duration::from_secs(default)),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(s) if s >= 1 => Ok(Duration::from_secs(s)),
            _ => anyhow::bail!("{name} must be a whole number of seconds, at least 1, not {text:?}"),
        },
    }
}

/// A cap: a whole number of at least 1.
fn parse_cap(name: &str, value: Option<String>, default: usize) -> anyhow::Result<usize> {
    match value {
        None => Ok(default),
        Some(text) => match text.trim().parse::<usize>() {
            Ok(cap) if cap >= 1 => Ok(cap),
            _ => anyhow::bail!("{name} must be a whole number of at least 1, not {text:?}"),
        },
    }
}

fn parse_flag(name: &str, value: Option<String>, default: bool) -> anyhow::Result<bool> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => anyhow::bail!("{name} must be 1/true or 0/false, not {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn an_empty_environment_gives_defaults_that_run_on_this_machine() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.redis_url, DEFAULT_REDIS_URL);
        assert_eq!(c.redis_key_prefix, "");
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert!(!c.demo_data, "demo data only when asked for");
        assert!(c.rate_limits);
        assert_eq!(c.trusted_proxies, TrustedProxies::default(), "no proxy is trusted unless named");
        assert!(!c.leptos.output_name.is_empty());
    }

    #[test]
    fn demo_data_can_be_switched_on_and_rate_limits_off() {
        let c = config(&[("LIVE_DEMO_DATA", "1"), ("LIVE_RATE_LIMITS", "off")]).unwrap();
        assert!(c.demo_data);
        assert!(!c.rate_limits);
        assert!(config(&[("LIVE_DEMO_DATA", "0")]).map(|c| !c.demo_data).unwrap());
    }

    #[test]
    fn demo_data_refuses_to_load_in_production() {
        let err = config(&[("LIVE_DEMO_DATA", "1"), ("LIVE_COOKIE_SECURE", "1")]).unwrap_err();
        assert!(err.to_string().contains("LIVE_DEMO_DATA"), "{err}");
        assert!(config(&[("LIVE_COOKIE_SECURE", "1")]).is_ok_and(|c| c.cookie_secure && !c.demo_data));
    }

    #[test]
    fn a_malformed_flag_or_address_is_an_error_not_a_silent_default() {
        assert!(config(&[("LIVE_DEMO_DATA", "maybe")]).is_err());
        assert!(config(&[("LEPTOS_SITE_ADDR", "not-an-address")]).is_err());
    }

    #[test]
    fn link_settings_default_to_a_link_host_other_than_the_site_and_refuse_bad_values() {
        let c = config(&[]).unwrap();
        assert_ne!(c.links.router.link_host, "127.0.0.1:3000");
        assert!(c.links.router.is_valid());
        assert!(config(&[("LIVE_LINK_SCHEME", "javascript")]).is_err());
        assert!(config(&[("LIVE_LINK_HOST", "evil.example/x")]).is_err());
        assert!(config(&[("LIVE_ANDROID_CERT_SHA256", "zz")]).is_err());
        assert!(config(&[("LIVE_IOS_STORE_URL", "http://insecure.example")]).is_err());
        let c = config(&[("LIVE_IOS_APP_IDS", "T1.a.b, T2.c.d")]).unwrap();
        assert_eq!(c.links.ios_app_ids, ["T1.a.b", "T2.c.d"]);
    }

    #[test]
    fn operators_are_usernames_matched_whatever_their_case_and_none_by_default() {
        assert!(config(&[]).unwrap().operators.is_empty());
        let c = config(&[("LIVE_OPERATORS", " Alice, bob ,,")]).unwrap();
        assert_eq!(c.operators, ["alice", "bob"]);
        assert!(config(&[("LIVE_RECONCILE_INTERVAL_MS", "soon")]).is_err());
    }

    #[test]
    fn event_stream_caps_default_high_enough_for_a_shared_address_and_refuse_nonsense() {
        let c = config(&[]).unwrap();
        assert_eq!((c.sse_max_connections, c.sse_max_per_address), (10_000, 1_000));
        let c = config(&[("LIVE_SSE_MAX_CONNECTIONS", "3"), ("LIVE_SSE_MAX_PER_ADDRESS", "2")]).unwrap();
        assert_eq!((c.sse_max_connections, c.sse_max_per_address), (3, 2));
        for bad in ["0", "-1", "many"] {
            assert!(config(&[("LIVE_SSE_MAX_PER_ADDRESS", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_read_and_a_malformed_one_stops_the_start() {
        let c = config(&[("LIVE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, ::1")]).unwrap();
        assert_eq!(c.trusted_proxies, "127.0.0.1,10.0.0.0/8,::1".parse().unwrap());
        let err = config(&[("LIVE_TRUSTED_PROXIES", "127.0.0.1, nginx")]).unwrap_err();
        assert!(format!("{err:#}").contains("LIVE_TRUSTED_PROXIES"), "{err:#}");
    }

    #[test]
    fn unpaid_orders_expire_after_fifteen_minutes_unless_configured() {
        let c = config(&[]).unwrap();
        assert_eq!(c.pay_timeout, Duration::from_secs(900));
        assert_eq!(c.view_refresh_every, Duration::from_secs(300));
        assert_eq!(config(&[("LIVE_ORDER_PAY_TIMEOUT_S", "5")]).unwrap().pay_timeout, Duration::from_secs(5));
        for bad in ["0", "-5", "soon"] {
            assert!(config(&[("LIVE_ORDER_PAY_TIMEOUT_S", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn leptos_site_addr_overrides_the_listen_address() {
        let c = config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")]).unwrap();
        assert_eq!(c.site_addr.port(), 8080);
        assert_eq!(c.leptos.site_addr.port(), 8080);
    }
}
