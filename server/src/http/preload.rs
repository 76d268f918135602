//! Preloads for what a page will load after its main js and WASM.
//!
//! Every page's main js imports two scripts (the split build's loader and
//! the player's snippet): the browser asks for them only once the main js
//! has arrived, one round trip later. Each page names them in its head as
//! `<link rel="modulepreload">`s, so they come with the main js.
//!
//! With `--split`, a page other than the room loads the main chunk, which
//! loads the app's chunk (`frontend::hydrate_app`), which loads its route's
//! (a lazy route), each with the shared chunks it needs: fetches one after
//! another, each waiting for the one before to arrive and run. Named in the
//! page's head as `<link rel="preload">`s, they are all fetched at once,
//! beside the main chunk.
//!
//! Leptos 0.8 means to do this itself: a server render records the lazy
//! functions it called, and `leptos_integration_utils` turns them into
//! preloads through the split build's manifest. But it looks the manifest up
//! outside the render's owner, so it finds it only by chance (one page of
//! five tried here got its preloads; leptos 0.8.23, leptos_integration_utils
//! 0.8.9). Here the render's record is kept ([`capture`], in the render's
//! context) and read once the page is rendered ([`links`], which writes the
//! preloads into the head, skipping those Leptos wrote); the manifest and
//! the main js's imports are read once, at start ([`Bundle::load`]). In the head rather than in
//! a `Link` header: a page names up to some forty chunks, 3–4 KB, about a
//! proxy's default header buffer (nginx: 4 KB).
//!
//! This relies on every page rendering in `SsrMode::Async` (`app::App`):
//! the whole page, with every lazy function its render calls, is the
//! body's first chunk.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, request::Parts, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use futures::{stream, StreamExt};
use leptos::{
    config::LeptosOptions,
    prelude::{use_context, with_context, ReadValue},
    PrefetchLazyFn,
};

use crate::startup::config::beside_binary;

/// The manifest's entry for the app's chunk: the lazy function
/// `frontend::hydrate_app`'s name, then a hash of where it is.
const APP_CHUNK: &str = "hydrate_app_";

/// What the build left that pages preload: the main js's imports, and the
/// split build's manifest (each lazy function's name and the chunks, file
/// stems under the package directory, it needs).
#[derive(Debug, Default)]
pub struct Bundle {
    /// The package directory's URL path, `/pkg`.
    pkg: String,
    chunks: HashMap<String, Vec<String>>,
    /// Where the scripts the main js imports are.
    imports: Vec<String>,
}

impl Bundle {
    /// Reads the manifest and the main js beside the built WASM, under
    /// their content-hashed names when the build hashes (cargo-leptos writes
    /// the hashes to `hash.txt`, beside the binary: `manifest: <hash>`,
    /// `js: <hash>`). Without `--split` there is no manifest, and no chunk
    /// is preloaded.
    pub fn load(options: &LeptosOptions) -> Self {
        let hashes = options.hash_files.then(|| {
            beside_binary(&options.hash_file).and_then(|file| std::fs::read_to_string(file).ok()).unwrap_or_default()
        });
        let pkg = PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let bundle = Self::read(&pkg, &options.output_name, hashes.as_deref(), &format!("/{}", options.site_pkg_dir));
        if bundle.chunks.is_empty() && options.hash_files {
            tracing::warn!(dir = %pkg.display(), "no split manifest for the hashed build: pages preload no WASM chunks");
        }
        bundle
    }

    fn read(pkg_dir: &Path, output_name: &str, hashes: Option<&str>, pkg_url: &str) -> Self {
        let hashed = |of: &str, stem: &str, ext: &str| match hashes {
            Some(hashes) => hashes
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(file, _)| file.trim() == of)
                .map(|(_, hash)| format!("{stem}.{}.{ext}", hash.trim())),
            None => Some(format!("{stem}.{ext}")),
        };
        let text = |name: Option<String>| name.and_then(|name| std::fs::read_to_string(pkg_dir.join(name)).ok());
        let chunks = text(hashed("manifest", "__wasm_split_manifest", "json"))
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let imports = text(hashed("js", output_name, "js"))
            .map(|js| static_imports(&js).into_iter().map(|path| format!("{pkg_url}/{path}")).collect())
            .unwrap_or_default();
        Self { pkg: pkg_url.to_owned(), chunks, imports }
    }

    /// Where the chunks a page of the app needs are, each once: the app's
    /// own first (the first to be asked for), then those of the lazy
    /// functions its render called, each in the manifest's order.
    fn hrefs(&self, called: &HashSet<&'static str>) -> Vec<String> {
        let is_app =
            |name: &str| name.strip_prefix(APP_CHUNK).is_some_and(|hash| hash.bytes().all(|b| b.is_ascii_digit()));
        let app = self.chunks.iter().filter(|(name, _)| is_app(name));
        let lazy = self.chunks.iter().filter(|(name, _)| called.contains(name.as_str()));
        let mut seen = HashSet::new();
        app.chain(lazy)
            .flat_map(|(_, stems)| stems)
            .filter(|stem| seen.insert(stem.as_str()))
            .map(|stem| format!("{}/{stem}.wasm", self.pkg))
            .collect()
    }
}

/// One request's record of the lazy functions its render called, shared
/// between [`links`] and the render ([`capture`]) through the request's
/// extensions.
#[derive(Clone, Default)]
struct LazyCalls(Arc<OnceLock<PrefetchLazyFn>>);

impl LazyCalls {
    /// The names, or `None` when no page of the app was rendered (an API
    /// call, the room's own page, a static file).
    fn names(&self) -> Option<HashSet<&'static str>> {
        let calls = self.0.get()?;
        Some(calls.0.try_read_value().map(|set| set.clone()).unwrap_or_default())
    }
}

/// Called in the render's context, before the app renders: keeps the
/// render's record of the lazy functions it calls. A server function's
/// call has no such record and returns at once.
pub fn capture() {
    let Some(calls) = use_context::<PrefetchLazyFn>() else { return };
    let Some(slot) = with_context::<Parts, _>(|parts| parts.extensions.get::<LazyCalls>().cloned()).flatten() else {
        return;
    };
    let _ = slot.0.set(calls);
}

/// Middleware: every page goes out with preloads in its head for what its
/// main js imports, and a page of the app besides for the chunks it will
/// load.
pub async fn links(State(bundle): State<Arc<Bundle>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let assets = path.strip_prefix(bundle.pkg.as_str()).is_some_and(|rest| rest.starts_with('/'));
    let nothing = bundle.chunks.is_empty() && bundle.imports.is_empty();
    if request.method() != Method::GET || path.starts_with("/api/") || assets || nothing {
        return next.run(request).await;
    }
    let calls = LazyCalls::default();
    request.extensions_mut().insert(calls.clone());
    let response = next.run(request).await;
    let page = matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    if !page {
        return response;
    }
    // Chunks only for a page of the app (the room's own page loads none).
    let chunks = calls.names().map(|called| bundle.hrefs(&called)).unwrap_or_default();
    // The whole page is the body's first chunk (see above); a chunk without
    // the head's end is sent as it is.
    let (mut parts, body) = response.into_parts();
    let mut body = body.into_data_stream();
    let first = body.next().await.map(|chunk| chunk.map(|page| into_head(page, &bundle.imports, &chunks)));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream::iter(first).chain(body)))
}

/// `page` with a `modulepreload` for each of `scripts` and a preload for
/// each of `chunks`, those its head does not name yet (Leptos writes some
/// itself, now and then), just before its `</head>`.
fn into_head(page: Bytes, scripts: &[String], chunks: &[String]) -> Bytes {
    let Ok(text) = std::str::from_utf8(&page) else { return page };
    let Some(at) = text.find("</head>") else { return page };
    let head = &text[..at];
    let unnamed = |href: &&String| !head.contains(&format!("href=\"{href}\""));
    let scripts = scripts.iter().filter(unnamed).map(|href| format!(r#"<link rel="modulepreload" href="{href}">"#));
    let chunks = chunks
        .iter()
        .filter(unnamed)
        .map(|href| format!(r#"<link rel="preload" href="{href}" as="fetch" type="application/wasm" crossorigin="">"#));
    let links: String = scripts.chain(chunks).collect();
    format!("{head}{links}{}", &text[at..]).into()
}

/// The relative paths a minified ES module imports statically
/// (`import … from"./x.js"`, `export … from "./x.js"`), each once. Scanned by
/// hand: the main js is wasm-bindgen's output with a known shape, and only
/// plain relative `.js` paths are kept.
fn static_imports(js: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in js.match_indices("from") {
        let rest = js[at + "from".len()..].trim_start();
        let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) else { continue };
        let Some((spec, _)) = rest[1..].split_once(quote) else { continue };
        let Some(path) = spec.strip_prefix("./") else { continue };
        let plain = path.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
        if plain && path.ends_with(".js") && !path.contains("..") && !found.iter().any(|seen| seen == path) {
            found.push(path.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("__wasm_split_manifest.abc.json"),
            r#"{"hydrate_app_1":["chunk_9","chunk_10","split_hydrate_app_1"],"__home_view_2":["chunk_10","chunk_11","split___home_view_2"],"__console_view_3":["split___console_view_3"]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("site.def.js"),
            r#"let e;import{attach as n}from"./snippets/app-0c/js/player.js";import*as t from"./__wasm_split.xyz.js";import*as r from "./snippets/app-0c/js/player.js";const a=Array.from("./no.js");export{x}from'../up.js';"#,
        )
        .unwrap();
        Bundle::read(dir.path(), "site", Some("js: def\nmanifest: abc\n"), "/pkg")
    }

    #[test]
    fn a_page_preloads_the_apps_chunks_first_then_its_routes_each_once() {
        assert_eq!(
            bundle().hrefs(&HashSet::from(["__home_view_2"])),
            [
                "/pkg/chunk_9.wasm",
                "/pkg/chunk_10.wasm",
                "/pkg/split_hydrate_app_1.wasm",
                "/pkg/chunk_11.wasm",
                "/pkg/split___home_view_2.wasm"
            ],
            "another page's chunk is not preloaded"
        );
    }

    #[test]
    fn every_page_preloads_what_the_main_js_imports_each_once() {
        assert_eq!(bundle().imports, ["/pkg/snippets/app-0c/js/player.js", "/pkg/__wasm_split.xyz.js"]);
    }

    #[test]
    fn a_build_without_a_manifest_preloads_no_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = Bundle::read(dir.path(), "site", None, "/pkg");
        assert!(bundle.hrefs(&HashSet::from(["__home_view_2"])).is_empty());
        assert!(bundle.imports.is_empty());
    }

    #[test]
    fn the_preloads_go_at_the_end_of_the_head_once_each_and_a_page_without_one_is_left_alone() {
        let page = Bytes::from_static(
            br#"<html><head><link as="fetch" href="/pkg/a.wasm" rel="preload"></head><body><a href="/pkg/b.wasm">b</a></body></html>"#,
        );
        let chunks = ["/pkg/a.wasm".to_owned(), "/pkg/b.wasm".to_owned()];
        let scripts = ["/pkg/s.js".to_owned()];
        assert_eq!(
            into_head(page, &scripts, &chunks),
            Bytes::from_static(
                br#"<html><head><link as="fetch" href="/pkg/a.wasm" rel="preload"><link rel="modulepreload" href="/pkg/s.js"><link rel="preload" href="/pkg/b.wasm" as="fetch" type="application/wasm" crossorigin=""></head><body><a href="/pkg/b.wasm">b</a></body></html>"#
            )
        );
        let fragment = Bytes::from_static(b"<p>no head</p>");
        assert_eq!(into_head(fragment.clone(), &scripts, &chunks), fragment);
    }
}
