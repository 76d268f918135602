#!/usr/bin/env bash
# The flash-sale benchmark in one command. Builds the release (site, server and
# the bench binary server/benches/flash_sale.rs), starts target/release/server
# on a fresh database and Redis key prefix with the anti-abuse limits off, runs
# the suite against it (wrk, pgbench, and the bench binary's own baseline
# server) and prints the table: each figure beside a baseline measured in the
# same run, product and baseline alternated, medians. Cleans up after itself
# (server, databases, Redis keys) however it ends. BENCHMARKS.md reads the rows.
#
# Knobs (environment): BENCH_DURATION_S (6 s per wrk/pgbench run), BENCH_ROUNDS (3
# per side), BENCH_USERS (2000 buyers), BENCH_SAMPLES (60 per latency row),
# BENCH_FIRST_TAP_RUNS (5), BENCH_SKIP_BUILD=1 (reuse the last release build),
# RUST_LOG (the server's log filter; its default otherwise).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*" >&2; }

# ---- tools: wrk, brotli, jq from Debian; pgbench comes with the Postgres client ----
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v brotli >/dev/null || missing+=(brotli)
command -v pgbench >/dev/null || missing+=(postgresql-client)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
  step "installing ${missing[*]} (apt-get)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y "${missing[@]}" || { $SUDO apt-get update && $SUDO apt-get install -y "${missing[@]}"; }
fi

# ---- builds (not part of the measured time) ----
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  # cargo-leptos, wasm-bindgen, wasm-opt, Chromium, and Postgres/Redis running.
  "$ROOT/scripts/setup.sh" >&2
  step "release build: cargo leptos build --release --precompress"
  bash "$ROOT/scripts/build-release.sh" >&2
  step "bench binary: cargo bench -p server --bench flash_sale --no-run"
  # The compile-time variable cargo-leptos gives the server (the only one its
  # code reads) and the flags it builds the server with (`always-erase-components`
  # in Cargo.toml), so the bench reuses the server library instead of rebuilding it.
  BENCH_BIN=$(LEPTOS_OUTPUT_NAME=live-commerce RUSTFLAGS="--cfg erase_components" cargo bench -p server --bench flash_sale --no-run --message-format=json-render-diagnostics \
    | jq -r 'select(.executable != null and .target.name == "flash_sale") | .executable' | tail -n1 || true)
else
  # The newest bench binary and the existing target/release/server and target/site.
  BENCH_BIN=$(ls -t "$ROOT"/target/release/deps/flash_sale-* 2>/dev/null | grep -v '\.d$' | head -n1 || true)
fi
[ -n "$BENCH_BIN" ] && [ -x "$BENCH_BIN" ] || { echo "no bench binary: run without BENCH_SKIP_BUILD" >&2; exit 1; }
[ -x "$ROOT/target/release/server" ] || { echo "no target/release/server: run without BENCH_SKIP_BUILD" >&2; exit 1; }

# ---- a fresh stack ----
DB="live_commerce_bench_$$"
PREFIX="lcbench:$$:"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/0"
export REDIS_KEY_PREFIX="$PREFIX"
PORT=3900
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
LOG="$(mktemp /tmp/flash-sale-server.XXXXXX.log)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  for db in "$DB" "${DB}_pg"; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX*" | xargs -r -n 500 redis-cli -h 127.0.0.1 DEL >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "starting target/release/server on 127.0.0.1:$PORT (database $DB, Redis prefix $PREFIX, LIVE_RATE_LIMITS=off; log $LOG)"
ulimit -n 65536 2>/dev/null || true
LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LIVE_RATE_LIMITS=off LIVE_DEMO_DATA=0 \
  "$ROOT/target/release/server" >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$LOG" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { tail -n 30 "$LOG" >&2; exit 1; }

# ---- the suite (progress on stderr, the table on stdout) ----
step "measuring (about 5 minutes)"
started=$SECONDS
BENCH_BASE_URL="http://127.0.0.1:$PORT" BENCH_SERVER_PID="$SERVER_PID" BENCH_ROOT="$ROOT" "$BENCH_BIN"
echo
echo "measured in $((SECONDS - started)) s on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GB RAM)"
