//! The documents that let the app claim `/app/*` links on the link host:
//! `apple-app-site-association` (Universal Links) and `assetlinks.json`
//! (Android App Links), built from configuration.

use serde_json::{json, Value};

use super::Links;

pub fn apple_app_site_association(links: &Links) -> Value {
    let ids = &links.ios_app_ids;
    json!({
        "applinks": {
            "apps": [],
            "details": [{
                "appIDs": ids,
                "appID": ids.first(),
                "paths": ["/app/*"],
                "components": [{ "/": "/app/*", "comment": "goods pages opened from live rooms" }],
            }],
        },
        "webcredentials": { "apps": ids },
    })
}

pub fn asset_links(links: &Links) -> Value {
    json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": links.router.android_package,
            "sha256_cert_fingerprints": links.android_cert_sha256,
        },
    }])
}
