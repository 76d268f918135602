#!/usr/bin/env bash
# Runs nginx's RTMP ingest and HLS output (deploy/nginx/live-video.conf) in the
# foreground, filled in from the environment:
#   LIVE_VIDEO_DIR         folder for its config, logs and HLS output (target/live-video)
#   LIVE_RTMP_PORT         RTMP port streamers push to (1935)
#   LIVE_HLS_PORT          HTTP port viewers play HLS from (8088)
#   LIVE_APP_URL           the app, for nginx's calls (http://127.0.0.1:3000)
#   LIVE_RTMP_HOOK_SECRET  the secret nginx's calls carry (the app's setting)
#   LIVE_VIDEO_FRESH=1     start from an empty HLS folder (the end-to-end tests:
#                          each run's fresh database reuses room ids, and nginx
#                          would continue an earlier run's playlist of a room)
# Used by scripts/run.sh and the end-to-end tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${LIVE_VIDEO_DIR:-$ROOT/target/live-video}"
if [ "${LIVE_VIDEO_FRESH:-0}" = 1 ]; then rm -rf "$DIR/hls"; fi
mkdir -p "$DIR/hls"
DIR="$(cd "$DIR" && pwd)"   # nginx reads -c relative to its prefix
# nginx's worker runs as nobody when started as root: it writes the HLS output.
chmod 0777 "$DIR" "$DIR/hls"
sed -e "s|@PREFIX@|$DIR|g" -e "s|@HLS_DIR@|$DIR/hls|g" \
    -e "s|@RTMP_PORT@|${LIVE_RTMP_PORT:-1935}|g" -e "s|@HLS_PORT@|${LIVE_HLS_PORT:-8088}|g" \
    -e "s|@APP@|${LIVE_APP_URL:-http://127.0.0.1:3000}|g" -e "s|@HOOK_SECRET@|${LIVE_RTMP_HOOK_SECRET:-}|g" \
    "$ROOT/deploy/nginx/live-video.conf" > "$DIR/nginx.conf"
/usr/sbin/nginx -t -q -p "$DIR" -c "$DIR/nginx.conf"
exec /usr/sbin/nginx -p "$DIR" -c "$DIR/nginx.conf"
