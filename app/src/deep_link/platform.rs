//! Which platform a tap happens on, from the browser's user agent.

/// In-app browsers that block URL schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InApp {
    WeChat,
    TikTok,
    Instagram,
    Facebook,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// iPhone / iPad (any browser on iOS uses WebKit and honours Universal Links).
    Ios,
    /// Chrome on Android: `intent:` URLs with a browser fallback.
    AndroidChrome,
    /// Other Android browsers (Samsung Internet, Firefox, ...).
    AndroidOther,
    /// An in-app browser that blocks schemes.
    InApp(InApp),
    Desktop,
}

impl Platform {
    /// Reads a user agent. In-app browsers are recognised first: they also
    /// claim to be Safari or Chrome.
    pub fn detect(user_agent: &str) -> Self {
        let ua = user_agent.to_ascii_lowercase();
        if ua.contains("micromessenger") {
            return Platform::InApp(InApp::WeChat);
        }
        if ua.contains("bytedancewebview") || ua.contains("musical_ly") || ua.contains("tiktok") || ua.contains("aweme")
        {
            return Platform::InApp(InApp::TikTok);
        }
        if ua.contains("instagram") {
            return Platform::InApp(InApp::Instagram);
        }
        if ua.contains("fban") || ua.contains("fbav") || ua.contains("fb_iab") || ua.contains("fbios") {
            return Platform::InApp(InApp::Facebook);
        }
        if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod") {
            return Platform::Ios;
        }
        if ua.contains("android") {
            let other = ua.contains("samsungbrowser")
                || ua.contains("firefox")
                || ua.contains("opr/")
                || ua.contains("edga/")
                || ua.contains("miuibrowser")
                || ua.contains("ucbrowser")
                || ua.contains("huaweibrowser")
                || ua.contains("; wv)");
            return if !other && ua.contains("chrome/") { Platform::AndroidChrome } else { Platform::AndroidOther };
        }
        Platform::Desktop
    }
}
