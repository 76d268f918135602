// How long a viewer on a slow phone waits before the room answers a tap.
//
//   node end2end/bench/first-tap.mjs <base_url> <room_path> [runs]
//   e.g. node end2end/bench/first-tap.mjs http://127.0.0.1:3000 /live/1 5
//
// Each run opens the room in a fresh browser context (cold cache) emulating a
// Pixel 5 on Chrome DevTools' "Slow 4G" preset with the CPU slowed 4x, and
// taps the card tray's toggle from the moment it is on screen until a tap is
// handled (its `aria-expanded` flips, which only the hydrated page does).
// first_tap_ms is measured in the page, from navigation start to that flip.
// Then the same context opens the room again: the warm (second) visit.
// Prints one JSON line:
//   {"first_tap_ms_p50", "runs", "transferred_bytes", "warm_first_tap_ms", ...}
// transferred_bytes is what the first run's page took over the wire (median
// over runs), headers included, as Chromium counts it.
import { CPU_SLOWDOWN, DEVICE, launch, median, phoneContext, throttle } from "./phone.mjs";

const [baseUrl, roomPath, runsArg] = process.argv.slice(2);
if (!baseUrl || !roomPath) {
  console.error("usage: node end2end/bench/first-tap.mjs <base_url> <room_path e.g. /live/1> [runs]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const url = new URL(roomPath, baseUrl).toString();

const TOGGLE = '[data-testid="tray-toggle"]';
const GIVE_UP_MS = 60_000;

// Runs in the page before its own scripts: notes when the toggle's
// `aria-expanded` first changes, on the page's clock (0 = navigation start).
function watchToggle(selector) {
  window.__firstTap = null;
  const watch = () => {
    const toggle = document.querySelector(selector);
    if (!toggle) return;
    const initial = toggle.getAttribute("aria-expanded");
    new MutationObserver(() => {
      if (window.__firstTap === null && toggle.getAttribute("aria-expanded") !== initial) {
        window.__firstTap = performance.now();
      }
    }).observe(toggle, { attributes: true, attributeFilter: ["aria-expanded"] });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
}

// Opens the room and taps until a tap is handled; returns its time from navigation start.
async function firstTap(page) {
  await page.goto(url, { waitUntil: "commit" });
  const toggle = page.locator(TOGGLE);
  await toggle.waitFor({ state: "visible", timeout: GIVE_UP_MS });
  const started = Date.now();
  for (;;) {
    const handled = await page.evaluate(() => window.__firstTap);
    if (handled !== null) return Math.round(handled);
    if (Date.now() - started > GIVE_UP_MS) throw new Error(`no tap was handled within ${GIVE_UP_MS} ms`);
    // Where the toggle is now: the layout moves while images and fonts arrive.
    const box = await toggle.boundingBox();
    if (box) await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(25);
  }
}

const browser = await launch();
const taps = [];
const transferred = [];
let warm = null;
try {
  for (let run = 0; run < runs; run += 1) {
    const context = await phoneContext(browser);
    await context.addInitScript(watchToggle, TOGGLE);
    const page = await context.newPage();
    const network = await throttle(context, page);
    taps.push(await firstTap(page));
    transferred.push(network.bytes());
    if (run === 0) {
      // The second visit: the same context, so the bundle comes from the cache.
      network.reset();
      const tapMs = await firstTap(page);
      warm = { tapMs, bytes: network.bytes() };
    }
    await context.close();
  }
} finally {
  await browser.close();
}

console.log(
  JSON.stringify({
    first_tap_ms_p50: median(taps),
    runs: taps,
    transferred_bytes: median(transferred),
    warm_first_tap_ms: warm?.tapMs ?? null,
    warm_transferred_bytes: warm?.bytes ?? null,
    device: DEVICE,
    network: "Slow 4G",
    cpu_slowdown: CPU_SLOWDOWN,
    url,
  }),
);
