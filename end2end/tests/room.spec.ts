import { test, expect, Page } from "@playwright/test";
import { signIn } from "./support";

// The demo room seeded by LIVE_DEMO_DATA=1 on a fresh database.
const ROOM = "/live/1";

// Our viewers are first of all Chinese; tests that need English say so.
test.use({ locale: "zh-CN" });

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
}

test("the home page links the live demo room", async ({ page }) => {
  await page.goto("/");
  const link = page.locator(`a[href="${ROOM}"]`);
  await expect(link).toBeVisible();
  await link.click();
  await expect(page).toHaveURL(new RegExp(`${ROOM}$`));
  await expect(page.getByTestId("goods-card").first()).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("every goods card is in the first HTML", async ({ page }) => {
    const response = await page.goto(ROOM);
    expect(response?.status()).toBe(200);
    const cards = page.getByTestId("goods-card");
    await expect(cards).toHaveCount(5);
    const ids = await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-spu-id")));
    expect(ids.every((id) => /^[1-9][0-9]*$/.test(id ?? ""))).toBe(true);
    await expect(cards.first().getByTestId("price")).toContainText("¥");
  });

  test("an unknown room answers 404 with a friendly page", async ({ page }) => {
    const response = await page.goto("/live/999999");
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
    await expect(page.locator("a.button[href='/']")).toBeVisible();
  });
});

test("after hydration the tray toggle collapses and expands the cards", async ({ page }) => {
  await page.goto(ROOM);
  await hydrated(page);
  const cards = page.getByTestId("goods-card");
  const toggle = page.getByTestId("tray-toggle");
  await expect(cards.first()).toBeVisible();
  await toggle.click();
  await expect(cards.first()).toBeHidden();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(cards.first()).toBeVisible();
});

test("a room opened from its link loads only the room's WASM; another page loads the app's chunk", async ({ page }) => {
  const wasm: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByTestId("tray-toggle").click();
  await expect(page.getByTestId("tray-toggle")).toHaveAttribute("aria-expanded", "false");
  expect(wasm).toHaveLength(1);
  expect(wasm[0]).toMatch(/^\/pkg\/live-commerce[._][^/]*wasm$/);
  // What the main js imports is named in the head, to come with it.
  const modules = await page.$$eval('head link[rel="modulepreload"]', (links) =>
    links.map((link) => new URL((link as HTMLLinkElement).href).pathname),
  );
  expect(modules.some((path) => path.includes("__wasm_split")), `${modules}`).toBe(true);
  expect(modules.some((path) => path.includes("/snippets/")), `${modules}`).toBe(true);

  // The home page is the whole app: its router arrives in a chunk of its own.
  await page.goto("/");
  await hydrated(page);
  expect(wasm.some((path) => path.includes("split_hydrate_app"))).toBe(true);
  await page.locator(`a[href="${ROOM}"]`).click();
  await expect(page).toHaveURL(new RegExp(`${ROOM}$`));
  await expect(page.getByTestId("goods-card").first()).toBeVisible();
});

test("another page asks for its chunks at once: the app's and its route's are fetched before the main WASM has arrived, each once", async ({ page }) => {
  const seen: string[] = [];
  const fetched = new Map<string, number>();
  const wasmPath = (url: string) => {
    const path = new URL(url).pathname;
    return path.endsWith(".wasm") ? path : null;
  };
  page.on("request", (request) => {
    const path = wasmPath(request.url());
    if (!path) return;
    seen.push(`start ${path}`);
    fetched.set(path, (fetched.get(path) ?? 0) + 1);
  });
  page.on("requestfinished", (request) => {
    const path = wasmPath(request.url());
    if (path) seen.push(`end ${path}`);
  });
  await page.goto("/");
  await hydrated(page);
  // The home page's head names the app's chunk and the home route's.
  const named = await page.$$eval('head link[rel="preload"][as="fetch"]', (links) =>
    links.map((link) => new URL((link as HTMLLinkElement).href).pathname),
  );
  const app = named.find((path) => path.includes("split_hydrate_app"));
  expect(app, `link: ${named}`).toBeTruthy();
  expect(named.some((path) => path.includes("split_") && path !== app), `link: ${named}`).toBe(true);
  for (const path of named) expect(fetched.get(path), path).toBe(1);
  // Without the preload the app's chunk is asked for only once the main chunk has arrived and run.
  const main = [...fetched.keys()].find((path) => /^\/pkg\/live-commerce[._][^/]*wasm$/.test(path));
  expect(main).toBeTruthy();
  expect(seen.indexOf(`start ${app}`)).toBeLessThan(seen.indexOf(`end ${main}`));
  await expect(page.getByTestId("lang-switch")).toBeVisible();
});

test("the room shows a signed-in viewer \"my orders\" once hydrated, and a signed-out one not", async ({ page }) => {
  const asked: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("session/me")) asked.push(request.url());
  });
  await page.goto(ROOM);
  await hydrated(page);
  await expect(page.getByTestId("lang-switch")).toBeVisible();
  await expect(page.getByTestId("nav-orders")).toHaveCount(0);
  // An anonymous viewer's room sends no second request to learn it.
  expect(asked).toHaveLength(0);

  await signIn(page, "demo_viewer", ROOM);
  await expect(page).toHaveURL(new RegExp(`${ROOM}$`));
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("nav-orders")).toBeVisible();
});

test("with the WASM blocked the same toggle does nothing", async ({ page }) => {
  await page.route("**/*.wasm", (route) => route.abort());
  await page.goto(ROOM);
  const cards = page.getByTestId("goods-card");
  await expect(cards.first()).toBeVisible();
  await page.getByTestId("tray-toggle").click();
  await page.waitForTimeout(1_000);
  await expect(cards.first()).toBeVisible();
  await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
});

test.describe("a Chinese browser", () => {
  test.use({ locale: "zh-CN" });

  test("gets Chinese, and the language switch turns the room into English and back", async ({ page }) => {
  await page.goto(ROOM);
  await hydrated(page);
  const toggle = page.getByTestId("tray-toggle");
  await expect(toggle).toContainText("收起商品");
  await page.getByTestId("lang-switch").click();
  await expect(toggle).toContainText("Hide products");
  await expect(page.getByTestId("price").first()).toContainText("CN¥");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  // The choice survives a reload.
  await page.reload();
  await expect(page.getByTestId("tray-toggle")).toContainText("Hide products");
  await hydrated(page);
  await page.getByTestId("lang-switch").click();
  await expect(page.getByTestId("tray-toggle")).toContainText("收起商品");
  });
});

test.describe("an English browser", () => {
  test.use({ locale: "en-US" });

  test("gets the room in English with prices in CN¥", async ({ page }) => {
    await page.goto(ROOM);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByTestId("tray-toggle")).toContainText("Hide products");
    await expect(page.getByTestId("price").first()).toContainText("CN¥");
  });
});

for (const size of [
  { name: "mobile", width: 390, height: 844 },
  { name: "desktop", width: 1440, height: 900 },
]) {
  test(`the room fits a ${size.width}x${size.height} screen with the video visible behind the cards`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.goto(ROOM);
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const stage = await page.locator(".stage").boundingBox();
    const card = await page.getByTestId("goods-card").first().boundingBox();
    expect(stage && card).toBeTruthy();
    // The card floats over the stage, which stays on screen.
    expect(card!.y).toBeGreaterThanOrEqual(stage!.y);
    expect(card!.y + card!.height).toBeLessThanOrEqual(stage!.y + stage!.height + 1);
    expect(stage!.height).toBeGreaterThan(size.height * 0.5);
    for (const target of [page.getByTestId("tray-toggle"), page.getByTestId("lang-switch"), page.getByTestId("goods-card").first()]) {
      const box = await target.boundingBox();
      expect(box!.height).toBeGreaterThanOrEqual(44);
      expect(box!.width).toBeGreaterThanOrEqual(44);
    }
    // The screenshots in docs/ are taken with live video playing (video.spec.ts).
  });
}
