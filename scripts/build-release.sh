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
cargo leptos build --release --precompress --split
for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  if [ -f "$file" ]; then gzip -9 -n -k -f "$file"; fi
done
