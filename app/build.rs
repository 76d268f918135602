//! Generates the `i18n` module from `locales/*.json`. Simplified Chinese is the
//! default; `zh` inherits it so `zh`, `zh-TW` and `zh-Hans` browsers get Chinese
//! even when their Accept-Language also lists English.

use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?).join("i18n");
    let config = Config::new("zh-CN")?
        .add_locale("en")?
        .add_locale("zh")?
        .extend_locale("zh", "zh-CN")?
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out_dir)?;
    Ok(())
}
