// End-to-end tests in Debian's Chromium against the release server, started the
// way outside tools start it: the binary with only the documented variables set.
import { defineConfig, devices } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3300);
const baseURL = `http://127.0.0.1:${port}`;
// nginx's RTMP ingest beside the server (deploy/nginx/live-video.conf), for the live-video tests.
const hlsPort = port + 1;
const rtmpPort = port + 2;
const rtmpUrl = `rtmp://127.0.0.1:${rtmpPort}/live`;
import chromiumArgs from "./chromium-args.cjs";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: { executablePath: "/usr/bin/chromium", args: chromiumArgs },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], launchOptions: { executablePath: "/usr/bin/chromium", args: chromiumArgs } } }],
  webServer: [{
    command: "bash ../scripts/ingest.sh",
    url: `http://127.0.0.1:${hlsPort}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LIVE_VIDEO_DIR: process.env.E2E_VIDEO_DIR ?? "../target/e2e-live-video",
      LIVE_VIDEO_FRESH: "1",
      LIVE_RTMP_PORT: String(rtmpPort),
      LIVE_HLS_PORT: String(hlsPort),
      LIVE_APP_URL: baseURL,
      LIVE_RTMP_HOOK_SECRET: "e2e-hook-secret",
    },
  }, {
    command: "../target/release/server",
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/live_commerce_e2e",
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0",
      REDIS_KEY_PREFIX: process.env.E2E_REDIS_KEY_PREFIX ?? "lce2e:",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "../target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_OUTPUT_NAME: "live-commerce",
      LIVE_DEMO_DATA: "1",
      LIVE_RATE_LIMITS: "off",
      LIVE_LINK_SCHEME: "livepicks",
      LIVE_LINK_HOST: "links.e2e.test",
      LIVE_ANDROID_PACKAGE: "com.livepicks.app",
      RUST_LOG: "warn",
      LIVE_RTMP_URL: rtmpUrl,
      LIVE_HLS_URL: `http://127.0.0.1:${hlsPort}/hls`,
      LIVE_RTMP_HOOK_SECRET: "e2e-hook-secret",
    },
  }],
});
