#!/usr/bin/env bash
# Sets everything up, builds the release site and runs it with demo data,
# with live video: nginx's RTMP ingest (deploy/nginx/live-video.conf) and a
# test-pattern stream with a clock burned in, pushed by ffmpeg into the demo
# room. Override any variable of the README (DATABASE_URL, LEPTOS_SITE_ADDR,
# LIVE_RTMP_PORT, LIVE_HLS_PORT, LIVE_DEMO_STREAM=0 to push nothing, ...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
bash "$ROOT/scripts/build-release.sh"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_PKG_DIR="${LEPTOS_SITE_PKG_DIR:-pkg}"
export LIVE_DEMO_DATA="${LIVE_DEMO_DATA:-1}"
SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
APP_URL="http://${SITE_ADDR/0.0.0.0/127.0.0.1}"

log() { printf '\033[1;34m[run]\033[0m %s\n' "$*"; }

# ---- live video: the ingest ---------------------------------------------------
VIDEO_DIR="${LIVE_VIDEO_DIR:-$ROOT/target/live-video}"
RTMP_PORT="${LIVE_RTMP_PORT:-1935}"
HLS_PORT="${LIVE_HLS_PORT:-8088}"
export LIVE_RTMP_URL="${LIVE_RTMP_URL:-rtmp://127.0.0.1:$RTMP_PORT/live}"
export LIVE_HLS_URL="${LIVE_HLS_URL:-http://127.0.0.1:$HLS_PORT/hls}"
# nginx proves its calls with this secret; a new one every run unless set.
export LIVE_RTMP_HOOK_SECRET="${LIVE_RTMP_HOOK_SECRET:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    pkill -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  [ -f "$VIDEO_DIR/nginx.pid" ] && kill "$(cat "$VIDEO_DIR/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_ingest() {
  if [ ! -x /usr/sbin/nginx ] || [ ! -f /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
    log "nginx with its RTMP module is missing: the rooms run without live video"
    return
  fi
  LIVE_VIDEO_DIR="$VIDEO_DIR" LIVE_RTMP_PORT="$RTMP_PORT" LIVE_HLS_PORT="$HLS_PORT" LIVE_APP_URL="$APP_URL" \
    bash "$ROOT/scripts/ingest.sh" &
  PIDS+=($!)
  log "RTMP ingest on $LIVE_RTMP_URL, HLS on $LIVE_HLS_URL"
}

# ---- live video: the demo stream ----------------------------------------------
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

demo_stream() {
  [ "${LIVE_DEMO_STREAM:-1}" = "0" ] && return
  local token room key font="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
  token="$(curl -sf -X POST "$APP_URL/api/auth/login" -H 'content-type: application/json' \
    -d '{"username":"demo_streamer","password":"demo-pass-2026"}' | json_field token)" || true
  room="$(psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/live_commerce}" -tAc \
    "SELECT min(r.id) FROM live_rooms r JOIN users u ON u.id = r.owner_id WHERE u.username = 'demo_streamer' AND r.status = 'live'" \
    2>/dev/null)" || true
  [ -n "$room" ] || room=1
  key="$(curl -sf -X POST "$APP_URL/api/live/$room/stream-key" -H "authorization: Bearer $token" | json_field stream_key)" || true
  if [ -z "$key" ]; then
    log "no demo stream: the demo room's stream key could not be made (is LIVE_DEMO_DATA on?)"
    return
  fi
  log "pushing a test pattern into the demo room ($APP_URL/live/$room) with ffmpeg; its key: $key"
  (
    while true; do
      ffmpeg -hide_banner -loglevel error -re \
        -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=330:sample_rate=44100" \
        -vf "drawtext=fontfile=$font:text='%{localtime\\:%X}   stream %{pts\\:hms}':fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8:x=(w-tw)/2:y=64" \
        -c:v libx264 -preset veryfast -tune zerolatency -g 50 -keyint_min 50 -b:v 800k -pix_fmt yuv420p \
        -c:a aac -b:a 64k -f flv "$LIVE_RTMP_URL/$key" || true
      sleep 2
    done
  ) &
  PIDS+=($!)
}

start_ingest
"$ROOT/target/release/server" &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 1 120); do
  curl -sf "$APP_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || exit 1
  sleep 0.5
done
demo_stream
log "streamers: OBS → Settings → Stream → Custom, server $LIVE_RTMP_URL, key from the room's console page"
wait "$SERVER"
