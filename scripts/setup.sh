#!/usr/bin/env bash
# Installs, only where missing, everything the project needs to build, run and
# test on a fresh machine of this kind: the wasm32 target, cargo-leptos, the
# wasm-bindgen CLI matching Cargo.lock, wasm-opt (npm binaryen), Chromium and
# the end2end npm packages, nginx with its RTMP module and ffmpeg (live video).
# Starts Postgres and Redis when stopped, and installs them (Debian's
# packages, trust auth on 127.0.0.1 as on the CI machines) where they are not
# installed at all. Idempotent; safe to run before every `run` and `test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.11"
BINARYEN_BIN="$ROOT/end2end/node_modules/.bin"
TOOLS_BUILD_DIR="${LIVE_TOOLS_BUILD_DIR:-/tmp/live-commerce-tools}"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$BINARYEN_BIN:$PATH"

# ---- services ---------------------------------------------------------------
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}

# A machine without PostgreSQL gets Debian's, answering on 127.0.0.1 without
# a password (what DATABASE_URL's default expects; local development only).
install_postgres() {
  log "installing PostgreSQL (Debian's package)"
  apt_install postgresql postgresql-client
  local hba
  hba="$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)"
  grep -q "^host all all 127.0.0.1/32 trust" "$hba" \
    || sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
}

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
  if ! command -v pg_ctlcluster >/dev/null || [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql)" ]; then
    install_postgres
  fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null \
    || die "PostgreSQL is not reachable on 127.0.0.1:5432 and is not installed here: install PostgreSQL 15 (apt-get install postgresql) or set DATABASE_URL"
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if ! command -v redis-server >/dev/null; then
    log "installing Redis (Debian's package)"
    apt_install redis-server redis-tools
  fi
  if command -v redis-server >/dev/null; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 1; done
  fi
  die "Redis is not reachable on 127.0.0.1:6379 and is not installed here: install Redis 7 (apt-get install redis-server) or set REDIS_URL"
}

# ---- Rust toolchain pieces --------------------------------------------------
ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The standard library's source, for the room's WASM built with a size-first
# std (scripts/build-release.sh). Only a smaller bundle depends on it: where
# rustup cannot add it, the release build goes on without it.
ensure_rust_src() {
  if [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then return; fi
  log "adding the rust-src component (the WASM's size-first standard library)"
  rustup component add rust-src || log "rust-src not added; the WASM is built with the prebuilt standard library"
}

# Fetches a crate's published source through the registry (cargo info extracts it)
# and copies it to a scratch directory we may edit.
crate_source() {
  local name="$1" version="$2" dest="$TOOLS_BUILD_DIR/$1-$2"
  if [ ! -f "$dest/Cargo.toml" ]; then
    (cd /tmp && cargo info "$name@$version" >/dev/null 2>&1) || true
    local src
    src=$(ls -d "$HOME"/.cargo/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
    if [ -z "$src" ]; then
      local crate
      crate=$(ls "$HOME"/.cargo/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -n1 || true)
      [ -n "$crate" ] || die "could not fetch the source of $name $version from crates.io"
      mkdir -p "$TOOLS_BUILD_DIR" && tar -xzf "$crate" -C "$TOOLS_BUILD_DIR"
    else
      mkdir -p "$TOOLS_BUILD_DIR" && rm -rf "$dest" && cp -r "$src" "$dest"
    fi
  fi
  echo "$dest"
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then return; fi
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION from source (about 15 minutes on 2 cores)"
  local dir; dir=$(crate_source cargo-leptos "$CARGO_LEPTOS_VERSION")
  # Its lock file pins a crate that needs a newer rustc than this machine has.
  (cd "$dir" && cargo update -p cargo-util-schemas --precise 0.14.1 \
     && cargo install --path . --locked --features no_downloads --target-dir "$TOOLS_BUILD_DIR/target")
  rm -rf "$TOOLS_BUILD_DIR"   # its build tree is gigabytes the tests need
}

ensure_nextest() {
  # The runner of the server's tests (scripts/test.sh, .config/nextest.toml).
  if cargo nextest --version >/dev/null 2>&1; then return; fi
  log "installing cargo-nextest from crates.io (about 5 minutes on 2 cores)"
  cargo install cargo-nextest --locked --target-dir "$TOOLS_BUILD_DIR/target"
  rm -rf "$TOOLS_BUILD_DIR"
}

wasm_bindgen_version() {
  # The exact version the workspace locks; the CLI must match it.
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want; want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
  if wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then return; fi
  log "installing wasm-bindgen-cli $want from source (about 2 minutes)"
  local dir; dir=$(crate_source wasm-bindgen-cli "$want")
  (cd "$dir" && cargo update -p webpki-roots --precise 1.0.10 2>/dev/null || true)
  (cd "$dir" && cargo install --path . --locked --target-dir "$TOOLS_BUILD_DIR/target")
  rm -rf "$TOOLS_BUILD_DIR"   # its build tree is gigabytes the tests need
}

# ---- browser and npm --------------------------------------------------------
# Chromium (and a CJK font) for Playwright; nginx for the level-2 cache test of
# deploy/nginx, with its RTMP module for live video; ffmpeg for the demo
# stream and the live-video tests.
ensure_debian_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
  [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
  [ -x /usr/bin/ffmpeg ] || missing+=(ffmpeg)
  # A CJK font, so Chromium renders (and screenshots show) the Chinese UI.
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing Debian packages: ${missing[*]}"
  apt_install "${missing[@]}"
}

ensure_npm_packages() {
  local stamp="$ROOT/end2end/node_modules/.installed-lock"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/end2end/package-lock.json" && [ -x "$BINARYEN_BIN/wasm-opt" ]; then
    return
  fi
  log "installing end2end npm packages (Playwright without browsers, binaryen for wasm-opt)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/end2end/package-lock.json" "$stamp"
}

# hls.js plays live video where the browser has no HLS of its own (all but
# Safari and iOS). Viewers load it from our origin: the npm package's build is
# copied under public/vendor with its version in the name (cached for good).
HLS_JS_VERSION="1.7.4"

ensure_hls_js() {
  local target="$ROOT/public/vendor/hls.light-$HLS_JS_VERSION.min.js"
  [ -f "$target" ] && return
  grep -q "\"version\": \"$HLS_JS_VERSION\"" "$ROOT/end2end/node_modules/hls.js/package.json" \
    || die "end2end/package.json must pin hls.js $HLS_JS_VERSION (the version app/src/components/player.rs names)"
  log "copying hls.js $HLS_JS_VERSION to public/vendor"
  mkdir -p "$ROOT/public/vendor"
  cp "$ROOT/end2end/node_modules/hls.js/dist/hls.light.min.js" "$target"
}

# ---- the API fuzzer -----------------------------------------------------------
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_HOME="$HOME/.local/share/live-commerce/schemathesis-$SCHEMATHESIS_VERSION"

ensure_schemathesis() {
  if "$SCHEMATHESIS_HOME/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then return; fi
  log "installing schemathesis $SCHEMATHESIS_VERSION (PyPI) for the API fuzz run"
  rm -rf "$SCHEMATHESIS_HOME"
  if ! python3 -m venv "$SCHEMATHESIS_HOME" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$SCHEMATHESIS_HOME"
  fi
  "$SCHEMATHESIS_HOME/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

main() {
  ensure_postgres
  ensure_redis
  ensure_wasm_target
  ensure_rust_src
  ensure_npm_packages
  ensure_hls_js
  ensure_debian_packages
  ensure_schemathesis
  ensure_wasm_bindgen
  ensure_cargo_leptos
  ensure_nextest
  log "toolchain ready: $(cargo leptos --version), $(wasm-bindgen --version), wasm-opt $("$BINARYEN_BIN/wasm-opt" --version | awk '{print $3}')"
}

main "$@"
