// The slow phone the browser benchmarks emulate (first-tap.mjs,
// page-preload.mjs): a Pixel 5 on Chrome DevTools' "Slow 4G" preset with the
// CPU slowed 4x, in Debian's Chromium with the flags the tests give it. One
// place, so every figure measured "on the phone" is measured on the same one.
import { createRequire } from "node:module";

// playwright-core comes with the end2end packages (`npm ci` in end2end/).
const require = createRequire(new URL("../package.json", import.meta.url));
const { chromium, devices } = require("playwright-core");
const chromiumArgs = require("./chromium-args.cjs");

// Chrome DevTools' "Slow 4G" preset (throughput in bytes per second).
export const SLOW_4G = {
  offline: false,
  latency: 150 * 3.75,
  downloadThroughput: ((1.6 * 1024 * 1024) / 8) * 0.9,
  uploadThroughput: ((750 * 1024) / 8) * 0.9,
};
export const CPU_SLOWDOWN = 4;
export const DEVICE = "Pixel 5";

export function launch() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
}

// A fresh context (cold cache) with the phone's screen and a Chinese browser.
export function phoneContext(browser) {
  const { defaultBrowserType: _, ...phone } = devices[DEVICE];
  return browser.newContext({ ...phone, locale: "zh-CN" });
}

// Slows `page`'s network and CPU to the phone's; counts the bytes it takes
// over the wire (headers included, as Chromium counts them).
export async function throttle(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (event) => {
    bytes += event.encodedDataLength;
  });
  return { bytes: () => bytes, reset: () => (bytes = 0) };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
