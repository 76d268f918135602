#!/usr/bin/env bash
# Fuzzes the public JSON API from its own OpenAPI document with schemathesis
# (pinned, fixed seed and example count): no 5xx, no status the document does
# not list, every response in its documented schema. Runs a server binary
# (default target/release/server) against a database of its own, signed in as
# a streamer who is also an operator, with the rate limits off; the event
# stream is left out (it never ends), and so are nginx-rtmp's calls
# (/api/rtmp/*, form posts from the ingest only: their free-form body defeats
# the generator; tests/api/live_video.rs covers them). Usage: scripts/fuzz-api.sh [server-binary]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER="${1:-$ROOT/target/release/server}"
SCHEMATHESIS="${SCHEMATHESIS:-$HOME/.local/share/live-commerce/schemathesis-4.32.5/bin/schemathesis}"
PORT="${FUZZ_PORT:-3310}"
BASE="http://127.0.0.1:$PORT"
DB="live_commerce_fuzz_$(date +%s)_$$"
LOG="$(mktemp)"
# schemathesis keeps a cache in its working directory: not in the repository.
WORK="$(mktemp -d)"

cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 --scan --pattern "lcfuzz:$$:*" | xargs -r -n 500 redis-cli -h 127.0.0.1 DEL >/dev/null || true
  rm -rf "$LOG" "$WORK"
}
trap cleanup EXIT

DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" REDIS_KEY_PREFIX="lcfuzz:$$:" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
  LEPTOS_SITE_ROOT="$ROOT/target/site" LIVE_DEMO_DATA=0 LIVE_RATE_LIMITS=off LIVE_OPERATORS=fuzz_ops RUST_LOG=warn \
  "$SERVER" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 120); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.5; done
curl -sf "$BASE/healthz" >/dev/null || { cat "$LOG"; echo "the server did not start" >&2; exit 1; }

TOKEN=$(curl -sf -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"fuzz_ops","password":"fuzz-pass-2026","role":"streamer"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Something to find: a room with a bound product, so ids in the examples can exist.
LIVE=$(curl -sf -X POST "$BASE/api/live" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"title":"Fuzz room"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["live_id"])')
SPU=$(curl -sf -X POST "$BASE/api/goods" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"title":"Fuzz tea","skus":[{"spec":"std","price_cents":100,"stock":1000}]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["spu_id"])')
curl -sf -X POST "$BASE/api/live/$LIVE/goods" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"spu_id\":$SPU}" >/dev/null

cd "$WORK"
"$SCHEMATHESIS" run "$BASE/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --seed 20261125 --max-examples "${FUZZ_EXAMPLES:-30}" --workers 1 \
  --phases examples,coverage,fuzzing --generation-database none --no-color \
  --exclude-path-regex '/events$' --exclude-path-regex '^/api/rtmp/' --exclude-path /api/auth/logout \
  --header "Authorization: Bearer $TOKEN" --request-timeout 10 \
  || { echo "--- server log"; tail -n 50 "$LOG"; exit 1; }
