#!/usr/bin/env bash
# The release build every script uses: the server and the WASM (split: the
# pages other than the room are chunks loaded on demand, `app::pages::lazy`), the assets
# under content-hashed names with brotli and gzip siblings
# (`--precompress`), then the gzip siblings of the wasm, js and css redone
# at gzip's best level (cargo-leptos writes them at a fast one: 977 KB
# against 829 KB for today's wasm), for browsers that do not take brotli.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# The WASM first, then the server. With the standard library's source at
# hand (rust-src, which setup adds) and rustc 1.92 or later, the WASM is built
# size-first: std itself rebuilt at the WASM's opt-level with it
# (`-Zbuild-std`; the prebuilt one is built for speed), a panic aborting at
# once instead of formatting its message (`-Cpanic=immediate-abort`; so the
# panic hook prints nothing), `{:?}` formatting compiled out
# (`-Zfmt-debug=none`: nothing the browser shows uses Debug) and no source
# locations kept for panics (`-Zlocation-detail=none`). They are unstable
# options of the stable compiler, let through by RUSTC_BOOTSTRAP=1 for this
# one build of the front end; the server is built without them. Should that
# build fail, or `LIVE_WASM_SIZE_FIRST=0` ask, the WASM is built with the
# prebuilt std, and target/release/wasm-build.txt says so (the bundle budget
# reads it).
WASM_BUILD="$ROOT/target/release/wasm-build.txt"
size_first_possible() {
  [ "${LIVE_WASM_SIZE_FIRST:-1}" = 1 ] || return 1
  [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ] || return 1
  local minor
  minor=$(rustc --version | awk '{print $2}' | cut -d. -f2)
  [ "${minor:-0}" -ge 92 ]
}
size_first() {
  RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none" \
    cargo leptos build --release --precompress --split --frontend-only
}
mkdir -p "$ROOT/target/release"
if size_first_possible && size_first; then
  echo size-first > "$WASM_BUILD"
else
  if size_first_possible; then echo "warning: the size-first WASM build failed; building with the prebuilt std" >&2; fi
  cargo leptos build --release --precompress --split --frontend-only
  echo prebuilt-std > "$WASM_BUILD"
fi
cargo leptos build --release --precompress --split --server-only
for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  if [ -f "$file" ]; then gzip -9 -n -k -f "$file"; fi
done
