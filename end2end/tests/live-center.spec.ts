// The live center: the streamer's dashboard follows a viewer's order and
// payment without a reload; viewers pay or cancel from "my orders".
import { test, expect, Browser, Page } from "@playwright/test";
import { hydrated, signIn } from "./support";

const CONSOLE_ROOM = "/console/live/1";
// The coffee (500 in stock, no sale rule: console.spec sets one on product 1).
const SPU = "2";

test.use({ locale: "zh-CN" });

/// How the Chinese pages write an amount of cents (`money::format_price`).
function yuan(cents: number): string {
  const whole = Math.trunc(cents / 100).toLocaleString("en-US");
  return `¥${whole}.${String(cents % 100).padStart(2, "0")}`;
}

async function openDashboard(page: Page) {
  await signIn(page, "demo_streamer", CONSOLE_ROOM);
  await expect(page).toHaveURL(new RegExp(`${CONSOLE_ROOM}$`));
  await hydrated(page);
  // The stream is open: no order from here on is missed.
  await expect(page.getByTestId("dashboard")).toHaveAttribute("data-events", "open", { timeout: 10_000 });
}

/// A signed-in viewer page: the room, the product's buy control, one order
/// from the web goods page. Returns the order number and its total.
async function orderFromGoodsPage(viewer: Page, sku = 0) {
  await viewer.goto("/live/1");
  await hydrated(viewer);
  await viewer.locator(`[data-testid="goods-card"][data-spu-id="${SPU}"]`).getByTestId("buy").click();
  await expect(viewer).toHaveURL(new RegExp(`/app/goods_detail\\?spu_id=${SPU}&`));
  await hydrated(viewer);
  await viewer.getByTestId("sku").nth(sku).click();
  await viewer.getByTestId("buy").click();
  const placed = viewer.getByTestId("order-placed");
  await expect(placed).toBeVisible();
  const sn = (await placed.getAttribute("data-order-sn"))!;
  const total = Number(await placed.getAttribute("data-total-cents"));
  expect(sn).toMatch(/^\d{8}/);
  expect(total).toBeGreaterThan(0);
  return { sn, total };
}

async function viewerPage(browser: Browser) {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, "demo_viewer", "/orders");
  await expect(page).toHaveURL(/\/orders$/);
  return { context, page };
}

test("the streamer's dashboard shows a viewer's order and then its payment, without a reload", async ({ browser }) => {
  const streamerContext = await browser.newContext({ locale: "zh-CN" });
  const console = await streamerContext.newPage();
  await openDashboard(console);
  const gmv = console.getByTestId("gmv");
  const paidGmv = console.getByTestId("paid-gmv");
  const gmvBefore = Number(await gmv.getAttribute("data-cents"));
  const paidBefore = Number(await paidGmv.getAttribute("data-cents"));

  const { context: viewerContext, page: viewer } = await viewerPage(browser);
  const { sn, total } = await orderFromGoodsPage(viewer);

  // Placed: on the ticker, in GMV, not yet paid.
  const entry = console.locator(`[data-testid="ticker-order"][data-order-sn="${sn}"]`);
  await expect(entry).toBeVisible({ timeout: 10_000 });
  await expect(entry).toHaveAttribute("data-status", "created");
  await expect(gmv).toHaveText(yuan(gmvBefore + total), { timeout: 10_000 });
  await expect(paidGmv).toHaveText(yuan(paidBefore));
  await expect(console.getByTestId("orders-last-60s")).not.toHaveText("0");

  // Paid from "my orders": the row turns paid, and so do the streamer's figures.
  await viewer.goto("/orders");
  await hydrated(viewer);
  const row = viewer.locator(`[data-testid="order-row"][data-order-sn="${sn}"]`);
  await expect(row).toHaveAttribute("data-status", "created");
  await expect(row).toContainText("沙盒支付（不扣真实款项）");
  await row.getByTestId("pay").click();
  await expect(row).toHaveAttribute("data-status", "paid", { timeout: 10_000 });
  await expect(row.getByTestId("order-status")).toHaveText("已支付");
  await expect(row.getByTestId("pay")).toHaveCount(0);

  await expect(paidGmv).toHaveText(yuan(paidBefore + total), { timeout: 10_000 });
  await expect(console.locator(`[data-testid="ticker-order"][data-order-sn="${sn}"]`)).toHaveAttribute("data-status", "paid", {
    timeout: 10_000,
  });
  await expect(gmv).toHaveText(yuan(gmvBefore + total));

  await viewerContext.close();
  await streamerContext.close();
});

test("a viewer cancels an unpaid order from my orders", async ({ browser }) => {
  const { context, page: viewer } = await viewerPage(browser);
  const { sn } = await orderFromGoodsPage(viewer, 1);
  await viewer.getByTestId("my-orders-link").click();
  await expect(viewer).toHaveURL(/\/orders$/);
  await hydrated(viewer);
  const row = viewer.locator(`[data-testid="order-row"][data-order-sn="${sn}"]`);
  await expect(row).toHaveAttribute("data-status", "created");
  await expect(row.getByTestId("pay-by")).toContainText(/请在 \d+:\d{2}/);
  await row.getByTestId("cancel").click();
  await expect(row).toHaveAttribute("data-status", "cancelled", { timeout: 10_000 });
  await expect(row.getByTestId("order-status")).toHaveText("已取消");
  await expect(row.getByTestId("pay")).toHaveCount(0);
  await context.close();
});

test("paying on the goods page right after ordering shows the order paid", async ({ browser }) => {
  const { context, page: viewer } = await viewerPage(browser);
  await orderFromGoodsPage(viewer);
  await expect(viewer.getByTestId("order-status")).toHaveText("待支付");
  await expect(viewer.getByTestId("sandbox-note")).toHaveText("沙盒支付（不扣真实款项）");
  await viewer.getByTestId("pay").click();
  await expect(viewer.getByTestId("order-status")).toHaveText("已支付", { timeout: 10_000 });
  await context.close();
});

test("my orders asks a signed-out visitor to sign in and comes back", async ({ page }) => {
  await page.goto("/orders");
  const link = page.locator("a[href='/login?next=/orders']");
  await expect(link).toBeVisible();
  await expect(page.getByTestId("nav-orders")).toHaveCount(0);
});

for (const size of [
  { name: "mobile", width: 390, height: 844 },
  { name: "desktop", width: 1440, height: 900 },
]) {
  test(`the dashboard fits a ${size.width}x${size.height} screen`, async ({ browser }) => {
    // An order first, so neither chart is empty.
    const { context: viewerContext, page: viewer } = await viewerPage(browser);
    await orderFromGoodsPage(viewer);
    await viewerContext.close();

    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: size.width, height: size.height } });
    const page = await context.newPage();
    await openDashboard(page);
    const dashboard = page.getByTestId("dashboard");
    await expect(page.getByTestId("ticker-order").first()).toBeVisible();
    await expect(page.getByTestId("sku-sales-chart").locator("svg rect.bar").first()).toBeVisible();
    await expect(page.getByTestId("orders-per-second-chart").locator("svg")).toHaveAttribute("role", "img");

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const id of ["orders-per-second-chart", "sku-sales-chart", "ticker", "funnel"]) {
      const box = (await page.getByTestId(id).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(size.width);
    }

    // The dashboard's top just under the sticky top bar.
    await dashboard.evaluate((el) => {
      const bar = document.querySelector(".topbar")?.getBoundingClientRect().height ?? 0;
      window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - bar - 8);
    });
    await page.screenshot({ path: `../docs/console-dashboard-${size.name}-${size.width}x${size.height}.png` });
    await context.close();
  });
}

test("the dashboard does not move for a reader who asked for reduced motion", async ({ browser }) => {
  const context = await browser.newContext({ locale: "zh-CN", reducedMotion: "reduce" });
  const page = await context.newPage();
  await openDashboard(page);
  const motion = await page.evaluate(() =>
    [".live-state.open", ".ticker-order", ".chart-svg .bar"].map((selector) => {
      const el = document.querySelector(selector);
      if (!el) return "absent";
      const style = getComputedStyle(el);
      const pseudo = getComputedStyle(el, "::before");
      return `${style.animationName}|${pseudo.animationName}|${style.transitionDuration}`;
    }),
  );
  for (const m of motion) expect(m).toMatch(/^(absent|none\|none\|0s)$/);
  await context.close();
});
