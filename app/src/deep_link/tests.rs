//! The router over real user agents, and properties that hold for any input.

use proptest::prelude::*;

use super::*;
use crate::ids::{LiveId, SpuId};

fn config() -> LinkConfig {
    LinkConfig {
        scheme: "livepicks".into(),
        link_host: "links.livepicks.example".into(),
        android_package: "com.livepicks.app".into(),
        ios_store_url: "https://apps.apple.com/app/id1".into(),
        android_store_url: "https://play.google.com/store/apps/details?id=com.livepicks.app".into(),
    }
}

fn params() -> JumpParams {
    JumpParams {
        spu_id: SpuId::new(123).unwrap(),
        live_id: LiveId::new(456).unwrap(),
        tracking_code: "xyz".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        source: SourceType::Live,
    }
}

const QUERY: &str =
    "spu_id=123&source_type=live&live_id=456&tracking_code=xyz&trace_id=4bf92f3577b34da6a3ce929d0e0e4736";

const USER_AGENTS: &[(&str, &str, Platform)] = &[
    ("iOS Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", Platform::Ios),
    ("iOS Chrome", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", Platform::Ios),
    ("iPad Safari", "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", Platform::Ios),
    ("Android Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36", Platform::AndroidChrome),
    ("Samsung Internet", "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", Platform::AndroidOther),
    ("Android Firefox", "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0", Platform::AndroidOther),
    ("WeChat Android", "Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64", Platform::InApp(InApp::WeChat)),
    ("WeChat iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.46(0x18002e2c) NetType/WIFI Language/zh_CN", Platform::InApp(InApp::WeChat)),
    ("TikTok", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_32.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US", Platform::InApp(InApp::TikTok)),
    ("TikTok Android", "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36 trill_330104 BytedanceWebview/d8a21c6", Platform::InApp(InApp::TikTok)),
    ("Instagram", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.3.29.91 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 590427394)", Platform::InApp(InApp::Instagram)),
    ("Facebook", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E219 [FBAN/FBIOS;FBAV/458.0.0.41.109;FBBV/578313418;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]", Platform::InApp(InApp::Facebook)),
    ("Desktop Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", Platform::Desktop),
    ("Desktop Safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", Platform::Desktop),
    ("Desktop Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", Platform::Desktop),
    ("Desktop Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", Platform::Desktop),
];

#[test]
fn every_user_agent_is_recognised_as_its_platform() {
    for (name, ua, expected) in USER_AGENTS {
        assert_eq!(Platform::detect(ua), *expected, "{name}");
    }
}

#[test]
fn each_platform_gets_its_channel_with_every_parameter() {
    let router = DeepLinkRouter::new(config()).unwrap();
    let origin = "https://shop.example";
    for (name, ua, _) in USER_AGENTS {
        let navigation = router.route(&params(), Platform::detect(ua), origin);
        match navigation {
            Navigation::UniversalLink(url) => {
                assert_eq!(url, format!("https://links.livepicks.example/app/goods_detail?{QUERY}"), "{name}")
            }
            Navigation::Intent(url) => {
                assert!(
                    url.starts_with(&format!(
                        "intent://app/goods_detail?{QUERY}#Intent;scheme=livepicks;package=com.livepicks.app;"
                    )),
                    "{name}: {url}"
                );
                let fallback = format!("https://shop.example/app/goods_detail?{QUERY}");
                assert!(
                    url.ends_with(&format!("S.browser_fallback_url={};end", encode_component(&fallback))),
                    "{name}: {url}"
                );
            }
            Navigation::SchemeThenWeb { scheme_url, web_url, after_ms } => {
                assert_eq!(scheme_url, format!("livepicks://app/goods_detail?{QUERY}"), "{name}");
                assert_eq!(web_url, format!("/app/goods_detail?{QUERY}"));
                assert!(after_ms >= 1_000);
            }
            Navigation::InAppOverlay { web_url, universal_link, .. } => {
                assert_eq!(web_url, format!("/app/goods_detail?{QUERY}"), "{name}");
                assert!(universal_link.starts_with("https://links.livepicks.example/"));
            }
            Navigation::Web(url) => assert_eq!(url, format!("/app/goods_detail?{QUERY}"), "{name}"),
        }
    }
}

#[test]
fn the_scheme_link_matches_the_source_documents_shape() {
    let router = DeepLinkRouter::new(config()).unwrap();
    assert_eq!(router.scheme_url(&params()), format!("livepicks://app/goods_detail?{QUERY}"));
}

#[test]
fn a_tap_on_a_replay_says_so_in_every_link_and_old_links_read_as_live() {
    let router = DeepLinkRouter::new(config()).unwrap();
    let mut p = params();
    p.source = SourceType::Replay;
    for url in [router.scheme_url(&p), router.universal_link(&p), DeepLinkRouter::web_path(&p)] {
        let query = url.split_once('?').unwrap().1;
        let pairs = query_pairs(query);
        assert!(pairs.contains(&("source_type".into(), "replay".into())), "{url}");
    }
    assert_eq!(SourceType::from_query(Some("replay")), SourceType::Replay);
    for old in [Some("live"), Some("REPLAY"), Some("<x>"), None] {
        assert_eq!(SourceType::from_query(old), SourceType::Live);
    }
}

#[test]
fn malformed_tracking_codes_and_trace_ids_are_left_out_not_passed_through() {
    let router = DeepLinkRouter::new(config()).unwrap();
    let mut p = params();
    p.tracking_code = "x&redirect=https://evil.example".into();
    p.trace_id = String::new();
    assert_eq!(
        router.universal_link(&p),
        "https://links.livepicks.example/app/goods_detail?spu_id=123&source_type=live&live_id=456"
    );
}

#[test]
fn configurations_outside_the_allow_list_are_refused() {
    for (scheme, host, package) in [
        ("javascript", "links.example", "com.a.b"),
        ("https", "links.example", "com.a.b"),
        ("Live", "links.example", "com.a.b"),
        ("livepicks", "evil.example/path", "com.a.b"),
        ("livepicks", "user@evil.example", "com.a.b"),
        ("livepicks", "links.example", "not a package"),
    ] {
        let config = LinkConfig {
            scheme: scheme.into(),
            link_host: host.into(),
            android_package: package.into(),
            ..super::tests::config()
        };
        assert!(DeepLinkRouter::new(config).is_none(), "{scheme} {host} {package}");
    }
}

#[test]
fn a_hostile_origin_never_becomes_the_android_fallback() {
    let router = DeepLinkRouter::new(config()).unwrap();
    let url = router.intent_url(&params(), "javascript:alert(1)//");
    assert!(url.contains(&encode_component("https://links.livepicks.example/app/goods_detail?")), "{url}");
}

#[test]
fn trace_ids_of_w3c_skywalking_and_uuid_tracers_are_accepted() {
    for id in [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "2a1b3c4d5e6f4a7b8c9d.61.17326963541230001",
        "550e8400-e29b-41d4-a716-446655440000",
        "svc:2a1b3c4d_5e6f",
    ] {
        assert!(valid_trace_id(id), "{id}");
    }
    assert!(valid_trace_id(&"a".repeat(MAX_TRACE_ID_LEN)));
}

#[test]
fn trace_ids_that_are_empty_too_long_or_carry_unsafe_characters_are_refused() {
    let too_long = "a".repeat(MAX_TRACE_ID_LEN + 1);
    for id in ["", "<script>", "a b", "a/b", "x&redirect=https://evil.example", "trace%20id", "é1", too_long.as_str()]
    {
        assert!(!valid_trace_id(id), "{id}");
    }
}

#[test]
fn tracking_codes_are_only_the_server_minted_alphabet() {
    for code in ["xyz", "tc_1-AB", &"c".repeat(64)] {
        assert!(valid_tracking_code(code), "{code}");
    }
    for code in ["", "a.b", "a:b", "a b", "<x>", &"c".repeat(65)] {
        assert!(!valid_tracking_code(code), "{code}");
    }
}

#[test]
fn a_skywalking_trace_id_travels_in_the_link_and_decodes_back() {
    let mut p = params();
    p.trace_id = "2a1b3c4d.61.17326963541230001:x".into();
    let query = DeepLinkRouter::query(&p);
    assert!(query.ends_with("&trace_id=2a1b3c4d.61.17326963541230001%3Ax"), "{query}");
    let pairs = query_pairs(&query);
    assert!(pairs.contains(&("trace_id".to_string(), p.trace_id.clone())));
}

fn allowed(url: &str) -> bool {
    [
        "https://links.livepicks.example/app/goods_detail?",
        "livepicks://app/goods_detail?",
        "/app/goods_detail?",
        "intent://app/goods_detail?",
    ]
    .iter()
    .any(|prefix| url.starts_with(prefix))
        && !url.starts_with("//")
}

proptest! {
    #[test]
    fn no_input_yields_a_url_outside_the_allowed_schemes_and_hosts(
        spu in 1i64..i64::MAX, live in 1i64..i64::MAX, code in ".*", trace in ".*", ua in ".*", origin in ".*",
    ) {
        let router = DeepLinkRouter::new(config()).unwrap();
        let p = JumpParams { spu_id: SpuId::new(spu).unwrap(), live_id: LiveId::new(live).unwrap(), tracking_code: code, trace_id: trace, source: SourceType::Live };
        let urls = match router.route(&p, Platform::detect(&ua), &origin) {
            Navigation::UniversalLink(u) | Navigation::Intent(u) | Navigation::Web(u) => vec![u],
            Navigation::SchemeThenWeb { scheme_url, web_url, .. } => vec![scheme_url, web_url],
            Navigation::InAppOverlay { web_url, universal_link, .. } => vec![web_url, universal_link],
        };
        for url in urls {
            prop_assert!(allowed(&url), "{}", url);
            prop_assert!(!url.contains(' ') && !url.contains('"') && !url.contains('<'));
        }
    }

    #[test]
    fn the_query_round_trips(spu in 1i64..1_000_000_000, live in 1i64..1_000_000_000, code in "[A-Za-z0-9_-]{1,64}", trace in "[A-Za-z0-9_.:-]{1,128}") {
        let p = JumpParams { spu_id: SpuId::new(spu).unwrap(), live_id: LiveId::new(live).unwrap(), tracking_code: code.clone(), trace_id: trace.clone(), source: SourceType::Live };
        let pairs = query_pairs(&DeepLinkRouter::query(&p));
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        prop_assert_eq!(get("spu_id"), Some(spu.to_string()));
        prop_assert_eq!(get("live_id"), Some(live.to_string()));
        prop_assert_eq!(get("source_type"), Some("live".to_string()));
        prop_assert_eq!(get("tracking_code"), Some(code));
        prop_assert_eq!(get("trace_id"), Some(trace));
    }

    #[test]
    fn any_value_percent_encodes_and_decodes_back(value in ".*") {
        let pairs = query_pairs(&format!("v={}", encode_component(&value)));
        prop_assert_eq!(pairs, vec![("v".to_string(), value)]);
    }
}
