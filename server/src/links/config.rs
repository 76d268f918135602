//! The app's deep-link identity: the `DeepLinkRouter` configuration the room
//! pages carry, and what the well-known documents claim for the app.

use app::deep_link::LinkConfig;

/// Deep-link configuration: served in the well-known files and used by the
/// room's `DeepLinkRouter`.
#[derive(Clone, Debug)]
pub struct Links {
    pub router: LinkConfig,
    /// `TEAMID.bundle.id` values for apple-app-site-association.
    pub ios_app_ids: Vec<String>,
    /// SHA-256 signing-certificate fingerprints for assetlinks.json.
    pub android_cert_sha256: Vec<String>,
}

/// Sample fingerprint for development; production sets LIVE_ANDROID_CERT_SHA256.
const DEV_CERT: &str =
    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5";

fn list(value: Option<String>, default: &str) -> Vec<String> {
    value
        .unwrap_or_else(|| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn store_url(name: &str, value: Option<String>, default: &str) -> anyhow::Result<String> {
    let url = value.unwrap_or_else(|| default.to_owned());
    anyhow::ensure!(LinkConfig::valid_store_url(&url), "{name} must be an https URL");
    Ok(url)
}

impl Links {
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let android_package = var("LIVE_ANDROID_PACKAGE").unwrap_or_else(|| "com.livepicks.app".to_owned());
        let router = LinkConfig {
            scheme: var("LIVE_LINK_SCHEME").unwrap_or_else(|| "livepicks".to_owned()).to_ascii_lowercase(),
            link_host: var("LIVE_LINK_HOST")
                .unwrap_or_else(|| "links.livepicks.example".to_owned())
                .to_ascii_lowercase(),
            ios_store_url: store_url(
                "LIVE_IOS_STORE_URL",
                var("LIVE_IOS_STORE_URL"),
                "https://apps.apple.com/app/id6450000000",
            )?,
            android_store_url: store_url(
                "LIVE_ANDROID_STORE_URL",
                var("LIVE_ANDROID_STORE_URL"),
                &format!("https://play.google.com/store/apps/details?id={android_package}"),
            )?,
            android_package,
        };
        anyhow::ensure!(
            LinkConfig::valid_scheme(&router.scheme),
            "LIVE_LINK_SCHEME must be an app scheme such as livepicks"
        );
        anyhow::ensure!(
            LinkConfig::valid_host(&router.link_host),
            "LIVE_LINK_HOST must be a host name such as links.example.com"
        );
        anyhow::ensure!(
            LinkConfig::valid_package(&router.android_package),
            "LIVE_ANDROID_PACKAGE must be a package name"
        );
        let fingerprints = list(var("LIVE_ANDROID_CERT_SHA256"), DEV_CERT);
        anyhow::ensure!(
            fingerprints.iter().all(
                |f| f.len() == 95 && f.split(':').all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
            ),
            "LIVE_ANDROID_CERT_SHA256 must be colon-separated SHA-256 fingerprints"
        );
        Ok(Self {
            ios_app_ids: list(var("LIVE_IOS_APP_IDS"), "ABCDE12345.com.livepicks.app"),
            android_cert_sha256: fingerprints,
            router,
        })
    }
}
