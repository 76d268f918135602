#!/usr/bin/env bash
# Sets everything up, builds the release site and runs it with demo data.
# Override any variable of the README (DATABASE_URL, LEPTOS_SITE_ADDR, ...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
bash "$ROOT/scripts/build-release.sh"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_PKG_DIR="${LEPTOS_SITE_PKG_DIR:-pkg}"
export LIVE_DEMO_DATA="${LIVE_DEMO_DATA:-1}"
exec "$ROOT/target/release/server"
