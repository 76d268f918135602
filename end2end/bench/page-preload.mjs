// What the preloads in a page's head save a viewer on a slow phone: the time
// from navigation start to hydration (`<body data-hydrated>`) of a page,
// with the page as served and with the preloads `server/src/http/preload.rs`
// writes (the main js's imports on every page, the WASM chunks on a page of
// the app) taken out, alternated run by run.
//
//   node end2end/bench/page-preload.mjs <base_url> <path> [runs]
//   e.g. node end2end/bench/page-preload.mjs http://127.0.0.1:3000 / 5
//
// Each run opens the page in a fresh browser context (cold cache) emulating a
// Pixel 5 on Chrome DevTools' "Slow 4G" preset with the CPU slowed 4x, as
// first-tap.mjs does. Both variants' documents are fetched by Playwright and
// fulfilled from it (the page's own request is not throttled in either), so
// they differ only in the preloads. Prints one JSON line:
//   {"preloaded_ms_p50", "without_ms_p50", "preloaded", "without", ...}
import { CPU_SLOWDOWN, DEVICE, launch, median, phoneContext, throttle } from "./phone.mjs";

const [baseUrl, pagePath, runsArg] = process.argv.slice(2);
if (!baseUrl || !pagePath) {
  console.error("usage: node end2end/bench/page-preload.mjs <base_url> <path e.g. /> [runs]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const url = new URL(pagePath, baseUrl).toString();

const GIVE_UP_MS = 60_000;
// The preloads the server writes (Leptos' own, for the main js and WASM, stay).
const OUR_PRELOADS =
  /<link rel="(?:preload" href="[^"]+" as="fetch" type="application\/wasm" crossorigin=""|modulepreload" href="[^"]+")>/g;

// Runs in the page before its own scripts: notes when the body is marked
// hydrated, on the page's clock (0 = navigation start).
function watchHydration() {
  window.__hydrated = null;
  const watch = () => {
    const mark = () => {
      if (window.__hydrated === null && document.body.hasAttribute("data-hydrated")) {
        window.__hydrated = performance.now();
      }
    };
    mark();
    new MutationObserver(mark).observe(document.body, { attributes: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
}

async function hydrationMs(browser, preloads) {
  const context = await phoneContext(browser);
  try {
    await context.addInitScript(watchHydration);
    const page = await context.newPage();
    let taken = 0;
    await page.route(url, async (route) => {
      const response = await route.fetch();
      let body = await response.text();
      if (!preloads) {
        taken = (body.match(OUR_PRELOADS) ?? []).length;
        body = body.replace(OUR_PRELOADS, "");
      }
      await route.fulfill({ response, body });
    });
    await throttle(context, page);
    await page.goto(url, { waitUntil: "commit" });
    await page.waitForFunction(() => window.__hydrated !== null, null, { timeout: GIVE_UP_MS, polling: 50 });
    if (!preloads && taken === 0) throw new Error(`${url} names no preloads of ours: nothing to compare`);
    return Math.round(await page.evaluate(() => window.__hydrated));
  } finally {
    await context.close();
  }
}

const browser = await launch();
const preloaded = [];
const without = [];
try {
  for (let run = 0; run < runs; run += 1) {
    preloaded.push(await hydrationMs(browser, true));
    without.push(await hydrationMs(browser, false));
  }
} finally {
  await browser.close();
}

console.log(
  JSON.stringify({
    preloaded_ms_p50: median(preloaded),
    without_ms_p50: median(without),
    preloaded,
    without,
    device: DEVICE,
    network: "Slow 4G",
    cpu_slowdown: CPU_SLOWDOWN,
    url,
  }),
);
