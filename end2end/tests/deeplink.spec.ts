import { test, expect, Page, CDPSession } from "@playwright/test";

// Every card tap runs DeepLinkRouter; each platform gets its channel, with
// every parameter. The link host (links.e2e.test) is intercepted: it is not
// this server, as Apple requires.

const ROOM = "/live/1";
const LINK_HOST = "links.e2e.test";

const UA = {
  iphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  android:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
  wechat:
    "Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
};

const mobile = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function openRoom(page: Page) {
  await page.goto(ROOM);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
  const card = page.getByTestId("goods-card").first();
  return {
    card,
    spuId: (await card.getAttribute("data-spu-id"))!,
    trackingCode: (await card.getAttribute("data-tracking-code"))!,
  };
}

function expectParams(url: URL, spuId: string, trackingCode: string) {
  expect(url.searchParams.get("spu_id")).toBe(spuId);
  expect(url.searchParams.get("source_type")).toBe("live");
  expect(url.searchParams.get("live_id")).toBe("1");
  expect(url.searchParams.get("tracking_code")).toBe(trackingCode);
  expect(url.searchParams.get("trace_id")).toMatch(/^[0-9a-f]{32}$/);
}

async function watchNavigations(page: Page): Promise<string[]> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send("Page.enable");
  const urls: string[] = [];
  cdp.on("Page.frameRequestedNavigation", (e: { url: string }) => urls.push(e.url));
  return urls;
}

test.describe("iPhone", () => {
  test.use({ ...mobile, userAgent: UA.iphone });

  test("a tap opens the Universal Link on the link host with every parameter", async ({ page }) => {
    let linked: URL | undefined;
    await page.route(`https://${LINK_HOST}/**`, (route) => {
      linked = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: "text/html", body: "<p>app link</p>" });
    });
    const { card, spuId, trackingCode } = await openRoom(page);
    await card.click();
    await expect.poll(() => linked?.toString() ?? "").toContain(`https://${LINK_HOST}/app/goods_detail?`);
    expectParams(linked!, spuId, trackingCode);
  });
});

test.describe("Android Chrome", () => {
  test.use({ ...mobile, userAgent: UA.android });

  test("a tap navigates to an intent: URL with the package and a browser fallback", async ({ page }) => {
    const { card, spuId, trackingCode } = await openRoom(page);
    const navigations = await watchNavigations(page);
    await card.click();
    await expect.poll(() => navigations.find((u) => u.startsWith("intent:")) ?? "").toContain("intent://app/goods_detail?");
    const intent = navigations.find((u) => u.startsWith("intent:"))!;
    expect(intent).toContain("#Intent;scheme=livepicks;package=com.livepicks.app;");
    const query = new URL(intent.replace("intent://", "https://x/").split("#")[0]);
    expectParams(query, spuId, trackingCode);
    const fallback = decodeURIComponent(intent.match(/S\.browser_fallback_url=([^;]+)/)![1]);
    expect(fallback.startsWith(new URL(page.url()).origin + "/app/goods_detail?")).toBe(true);
  });
});

test.describe("WeChat", () => {
  test.use({ ...mobile, userAgent: UA.wechat });

  test("a tap shows the open-in-browser overlay and never tries the scheme", async ({ page }) => {
    const { card, spuId, trackingCode } = await openRoom(page);
    const navigations = await watchNavigations(page);
    await card.click();
    const overlay = page.getByTestId("in-app-overlay");
    await expect(overlay).toBeVisible();
    await page.waitForTimeout(2_000);
    expect(navigations.filter((u) => u.startsWith("livepicks:") || u.startsWith("intent:"))).toEqual([]);
    const web = new URL((await overlay.getByTestId("in-app-web").getAttribute("href"))!, page.url());
    expectParams(web, spuId, trackingCode);
    await overlay.getByTestId("in-app-web").click();
    await expect(page.getByTestId("goods-page")).toBeVisible();
  });
});

test.describe("desktop", () => {
  test("a tap opens the web goods page with every parameter, which records the view", async ({ page }) => {
    const beacons: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/api/track")) beacons.push(r.postData() ?? "");
    });
    const { card, spuId, trackingCode } = await openRoom(page);
    await card.click();
    await expect(page).toHaveURL(/\/app\/goods_detail\?/);
    expectParams(new URL(page.url()), spuId, trackingCode);
    const goods = page.getByTestId("goods-page");
    await expect(goods).toBeVisible();
    await expect(goods).toHaveAttribute("data-tracking-code", trackingCode);
    await expect(page.getByTestId("goods-price")).toContainText("¥");
    await expect.poll(() => beacons.filter((b) => b.length > 0).length).toBeGreaterThanOrEqual(2);
    const events = beacons.filter((b) => b.length > 0).map((b) => JSON.parse(b));
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["click", "view"]));
    const trace = new URL(page.url()).searchParams.get("trace_id");
    expect(events.every((e) => e.trace_id === trace)).toBe(true);
  });

  test("the goods page picks SKUs and sends a signed-out shopper to sign in", async ({ page }) => {
    await page.goto("/app/goods_detail?spu_id=4&source_type=live&live_id=1");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
    const skus = page.getByTestId("sku");
    await expect(skus).toHaveCount(3);
    await skus.nth(1).click();
    await expect(skus.nth(1)).toHaveAttribute("aria-checked", "true");
    await expect(page.getByTestId("sku-stock")).toContainText("40");
    await expect(page.getByTestId("buy")).toHaveAttribute("href", /^\/login\?next=/);
  });

  test("a malformed or unknown goods link is a friendly 400 or 404", async ({ page }) => {
    expect((await page.goto("/app/goods_detail?spu_id=oops"))?.status()).toBe(400);
    await expect(page.getByTestId("goods-problem")).toBeVisible();
    expect((await page.goto("/app/goods_detail?spu_id=424242"))?.status()).toBe(404);
    await expect(page.getByTestId("goods-problem")).toBeVisible();
  });
});
