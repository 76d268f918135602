//! Preloads for the WASM chunks a page of the app will load.
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
//! outside the render's owner, so it never finds it and no page gets a
//! preload (leptos 0.8.23, leptos_integration_utils 0.8.9). Here the
//! render's record is kept ([`capture`], in the render's context) and read
//! once the page is rendered ([`links`], which writes the preloads into the
//! head); the manifest is read once, at start ([`SplitManifest::load`]).
//! In the head rather than in a `Link` header: a page names some fifty
//! chunks, more than a proxy's default header buffer (nginx: 4 KB) takes.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
};
use futures::{stream, StreamExt};
use leptos::{
    config::LeptosOptions,
    prelude::{use_context, ReadValue},
    PrefetchLazyFn,
};

/// The manifest's entry for the app's chunk starts with this: the lazy
/// function `frontend::hydrate_app` (the name, then a hash of where it is).
const APP_CHUNK: &str = "hydrate_app_";

/// The split build's manifest: each lazy function's name and the chunks
/// (file stems under the package directory) it needs.
#[derive(Debug, Default)]
pub struct SplitManifest {
    pkg: String,
    chunks: HashMap<String, Vec<String>>,
}

impl SplitManifest {
    /// Reads the manifest beside the built WASM, under its content-hashed
    /// name when the build hashes (cargo-leptos writes the hash to
    /// `hash.txt`, beside the binary, as `manifest: <hash>`). Empty for a
    /// build without `--split` (then nothing is preloaded).
    pub fn load(options: &LeptosOptions) -> Self {
        let hashes = options.hash_files.then(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
                .and_then(|file| std::fs::read_to_string(file).ok())
                .unwrap_or_default()
        });
        let pkg = PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let manifest = Self::read(&pkg, hashes.as_deref(), &format!("/{}", options.site_pkg_dir));
        if manifest.chunks.is_empty() {
            tracing::debug!("no split manifest: pages name no WASM chunks to preload");
        }
        manifest
    }

    fn read(pkg_dir: &Path, hashes: Option<&str>, pkg_url: &str) -> Self {
        let name = match hashes {
            Some(hashes) => hashes
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(file, _)| file.trim() == "manifest")
                .map(|(_, hash)| format!("__wasm_split_manifest.{}.json", hash.trim())),
            None => Some("__wasm_split_manifest.json".to_owned()),
        };
        let chunks = name
            .and_then(|name| std::fs::read_to_string(pkg_dir.join(name)).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Self { pkg: pkg_url.to_owned(), chunks }
    }

    /// Where the chunks a page of the app needs are: the app's own and
    /// those of the lazy functions its render called.
    fn hrefs(&self, called: &BTreeSet<String>) -> Vec<String> {
        let app = self.chunks.iter().filter(|(name, _)| name.starts_with(APP_CHUNK));
        let lazy = called.iter().filter_map(|name| self.chunks.get_key_value(name));
        let stems: BTreeSet<&str> = app.chain(lazy).flat_map(|(_, stems)| stems.iter().map(String::as_str)).collect();
        stems.into_iter().map(|stem| format!("{}/{stem}.wasm", self.pkg)).collect()
    }
}

/// One request's record of the lazy functions its render called, shared
/// between [`links`] and the render ([`capture`]) through the request's
/// extensions.
#[derive(Clone, Default)]
struct LazyCalls(Arc<Mutex<Option<PrefetchLazyFn>>>);

impl LazyCalls {
    /// The names, or `None` when no page of the app was rendered (an API
    /// call, the room's own page, a static file).
    fn names(&self) -> Option<BTreeSet<String>> {
        let calls = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()?;
        let names = calls.0.try_read_value().map(|set| set.iter().map(|name| (*name).to_owned()).collect());
        Some(names.unwrap_or_default())
    }
}

/// Called in the render's context, before the app renders: keeps the
/// render's record of the lazy functions it calls.
pub fn capture() {
    let Some(parts) = use_context::<axum::http::request::Parts>() else { return };
    let (Some(slot), Some(calls)) = (parts.extensions.get::<LazyCalls>(), use_context::<PrefetchLazyFn>()) else {
        return;
    };
    *slot.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(calls);
}

/// Middleware: a page of the app goes out with preloads in its head for
/// the chunks it will load.
pub async fn links(State(manifest): State<Arc<SplitManifest>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if request.method() != Method::GET || path.starts_with("/api/") || path.starts_with("/pkg/") {
        return next.run(request).await;
    }
    let calls = LazyCalls::default();
    request.extensions_mut().insert(calls.clone());
    let response = next.run(request).await;
    let html =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    let hrefs = calls.names().filter(|_| html).map(|called| manifest.hrefs(&called)).unwrap_or_default();
    if hrefs.is_empty() {
        return response;
    }
    // The whole page is the body's first chunk (the app renders in order,
    // then sends); a chunk without the head's end is sent as it is.
    let (mut parts, body) = response.into_parts();
    let mut chunks = body.into_data_stream();
    let first = chunks.next().await.map(|chunk| chunk.map(|page| into_head(page, &hrefs)));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream::iter(first).chain(chunks)))
}

/// `page` with a preload for each of `hrefs` it does not name yet (Leptos
/// adds some itself in some of its render modes) just before its `</head>`.
fn into_head(page: Bytes, hrefs: &[String]) -> Bytes {
    let Ok(text) = std::str::from_utf8(&page) else { return page };
    let Some(at) = text.find("</head>") else { return page };
    let links: String = hrefs
        .iter()
        .filter(|href| !text.contains(&format!("href=\"{href}\"")))
        .map(|href| format!(r#"<link rel="preload" href="{href}" as="fetch" type="application/wasm" crossorigin="">"#))
        .collect();
    format!("{}{links}{}", &text[..at], &text[at..]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> SplitManifest {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("__wasm_split_manifest.abc.json"),
            r#"{"hydrate_app_1":["split_hydrate_app_1","chunk_0"],"home_view_2":["split_home_view_2","chunk_0"],"console_view_3":["split_console_view_3"]}"#,
        )
        .unwrap();
        SplitManifest::read(dir.path(), Some("js: x\nmanifest: abc\n"), "/pkg")
    }

    #[test]
    fn a_page_preloads_the_apps_chunk_and_its_routes_each_once() {
        let called = BTreeSet::from(["home_view_2".to_owned()]);
        assert_eq!(
            manifest().hrefs(&called),
            ["/pkg/chunk_0.wasm", "/pkg/split_home_view_2.wasm", "/pkg/split_hydrate_app_1.wasm"],
            "another page's chunk is not preloaded"
        );
    }

    #[test]
    fn a_build_without_a_manifest_preloads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = SplitManifest::read(dir.path(), None, "/pkg");
        assert!(manifest.hrefs(&BTreeSet::from(["home_view_2".to_owned()])).is_empty());
    }

    #[test]
    fn the_preloads_go_at_the_end_of_the_head_once_each_and_a_page_without_one_is_left_alone() {
        let page = Bytes::from_static(
            br#"<html><head><link as="fetch" href="/pkg/a.wasm" rel="preload"></head><body>x</body></html>"#,
        );
        let hrefs = ["/pkg/a.wasm".to_owned(), "/pkg/b.wasm".to_owned()];
        assert_eq!(
            into_head(page, &hrefs),
            Bytes::from_static(
                br#"<html><head><link as="fetch" href="/pkg/a.wasm" rel="preload"><link rel="preload" href="/pkg/b.wasm" as="fetch" type="application/wasm" crossorigin=""></head><body>x</body></html>"#
            )
        );
        let fragment = Bytes::from_static(b"<p>no head</p>");
        assert_eq!(into_head(fragment.clone(), &hrefs), fragment);
    }
}
