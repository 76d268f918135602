#!/usr/bin/env bash
# Runs every check and test: formatting, clippy per package with its features,
# unit and integration tests against real Postgres and Redis, then Playwright
# end-to-end tests in real Chromium against the release build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

# A cold run builds about 10 GB under target/ (debug, clippy, wasm, release).
free_gb=$(df -Pk "$ROOT" | awk 'NR==2 {print int($4 / 1048576)}')
if [ "$free_gb" -lt 12 ]; then
  printf '\033[1;33mwarning: only %s GB free on the disk of %s; a cold run needs about 12 GB\033[0m\n' "$free_gb" "$ROOT" >&2
fi
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

# Leftovers from interrupted earlier runs: per-test databases and key spaces.
step "cleaning up leftovers of earlier test runs"
psql -h 127.0.0.1 -U postgres -d postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'lc_test_%' OR datname LIKE 'live_commerce_e2e_%'" \
  | while read -r db; do [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done
for pattern in 'lct:*' 'lce2e:*'; do
  redis-cli -h 127.0.0.1 --scan --pattern "$pattern" | xargs -r -n 500 redis-cli -h 127.0.0.1 DEL >/dev/null
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (app: ssr, app: hydrate on wasm, frontend on wasm, server)"
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p server --all-targets --features faults -- -D warnings

step "unit tests (app, ssr)"
cargo test -p app --features ssr

step "server unit and integration tests (real Postgres and Redis, fault points compiled in)"
# cargo-nextest: each test in its own process, a hung test stopped after 4
# minutes and every failure tried once more (.config/nextest.toml).
cargo nextest run -p server --features faults

step "release build (cargo leptos build --release --precompress)"
bash "$ROOT/scripts/build-release.sh"

step "the room page's hydration bundle within its size budget"
bash "$ROOT/scripts/bundle-budget.sh"

step "API fuzzing against the OpenAPI document (schemathesis, fixed seed)"
bash "$ROOT/scripts/fuzz-api.sh" "$ROOT/target/release/server"

step "end-to-end tests (Playwright in Debian Chromium)"
E2E_DB="live_commerce_e2e_$(date +%s)_$$"
export E2E_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$E2E_DB"
export E2E_REDIS_KEY_PREFIX="lce2e:$$:"
cleanup_e2e() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$E2E_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup_e2e EXIT
(cd end2end && npx playwright test)
