import { test, expect, Page } from "@playwright/test";
import { hydrated, signIn } from "./support";

const ROOM = "/live/1";

async function signInAsStreamer(page: Page) {
  await signIn(page, "demo_streamer", "/console");
  await expect(page).toHaveURL(/\/console$/);
  await hydrated(page);
}

test("the console asks an anonymous visitor to sign in", async ({ page }) => {
  await page.goto("/console");
  await expect(page.getByTestId("console-gate")).toBeVisible();
  await expect(page.locator("a[href='/login?next=/console']")).toBeVisible();
});

test("with demo data on, the login page shows the demo accounts, also once hydrated and after client-side navigation", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await expect(page.getByTestId("demo-hint")).toContainText("demo_streamer");
  await page.goto("/console");
  await hydrated(page);
  await page.locator("a[href='/login?next=/console']").click();
  await expect(page.getByTestId("login-form")).toBeVisible();
  await expect(page.getByTestId("demo-hint")).toContainText("demo_streamer");
});

test("a wrong password is explained, not silently ignored", async ({ page }) => {
  await signIn(page, "demo_streamer", "/console", "not-the-password");
  await expect(page.getByTestId("error")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("goods bound in the console appear in an open viewer room without a reload, and explaining highlights them", async ({ browser }) => {
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await viewer.goto(ROOM);
  await hydrated(viewer);
  await expect(viewer.getByTestId("room")).toHaveAttribute("data-events", "open", { timeout: 10_000 });
  const before = await viewer.getByTestId("goods-card").count();

  const streamerContext = await browser.newContext();
  const console = await streamerContext.newPage();
  await signInAsStreamer(console);

  const title = `E2E 新品 ${Date.now()}`;
  const goodsForm = console.getByTestId("create-goods");
  await goodsForm.locator("input[name=title]").fill(title);
  await goodsForm.locator("input[name=spec_1]").fill("标准");
  await goodsForm.locator("input[name=price_1]").fill("88.00");
  await goodsForm.locator("input[name=stock_1]").fill("12");
  await goodsForm.locator("button[type=submit]").click();
  await expect(console.getByTestId("my-goods").getByText(title)).toBeVisible();

  await console.getByTestId("manage-room").first().click();
  await expect(console).toHaveURL(/\/console\/live\/1$/);
  await console.getByTestId("available-goods").locator("li", { hasText: title }).getByTestId("bind").click();
  await expect(console.getByTestId("bound-goods").locator("li", { hasText: title })).toBeVisible();

  // The viewer never reloaded: the card arrives over the room's event stream.
  const card = viewer.getByTestId("goods-card").filter({ hasText: title });
  await expect(card).toBeVisible({ timeout: 5_000 });
  await expect(viewer.getByTestId("goods-card")).toHaveCount(before + 1);
  await expect(card.getByTestId("price")).toContainText("¥88.00");

  await console.getByTestId("bound-goods").locator("li", { hasText: title }).getByTestId("explain").click();
  await expect(card).toHaveClass(/explaining/, { timeout: 5_000 });
  await expect(card.getByTestId("explaining")).toBeVisible();

  await console.getByTestId("bound-goods").locator("li", { hasText: title }).getByTestId("unbind").click();
  await expect(card).toHaveCount(0, { timeout: 5_000 });

  await viewerContext.close();
  await streamerContext.close();
});

test("a flash sale set in the console shows its countdown in an open viewer room", async ({ browser }) => {
  const viewerContext = await browser.newContext({ locale: "zh-CN" });
  const viewer = await viewerContext.newPage();
  await viewer.goto(ROOM);
  await hydrated(viewer);
  await expect(viewer.getByTestId("room")).toHaveAttribute("data-events", "open", { timeout: 10_000 });
  const card = viewer.locator('[data-testid="goods-card"][data-spu-id="1"]');
  await expect(card.getByTestId("countdown")).toHaveCount(0);

  const streamerContext = await browser.newContext();
  const console = await streamerContext.newPage();
  await signInAsStreamer(console);
  await console.goto("/console/live/1");
  await hydrated(console);
  const form = console.locator('[data-testid="bound-row"][data-spu-id="1"]').getByTestId("sale-form").first();
  await form.locator("input[name=starts_in_minutes]").fill("10");
  await form.locator("input[name=per_user_limit]").fill("2");
  await form.locator("button[type=submit]").click();

  const countdown = card.getByTestId("countdown");
  await expect(countdown).toBeVisible({ timeout: 5_000 });
  await expect(countdown).toContainText(/距开抢 (09:[0-5]\d|10:00)/);

  // A viewer who opens the product sees the same rule, and cannot order before the start.
  await viewer.goto("/app/goods_detail?spu_id=1&source_type=live&live_id=1");
  await expect(viewer.getByTestId("countdown")).toBeVisible();
  await expect(viewer.getByTestId("limit")).toContainText("2");

  await viewerContext.close();
  await streamerContext.close();
});

test("a refused product form says why, in words the streamer reads", async ({ page }) => {
  await signInAsStreamer(page);
  const goodsForm = page.getByTestId("create-goods");
  await goodsForm.locator("input[name=title]").fill(`Mispriced ${Date.now()}`);
  await goodsForm.locator("input[name=spec_1]").fill("Standard");
  await goodsForm.locator("input[name=price_1]").fill("cheap");
  await goodsForm.locator("input[name=stock_1]").fill("3");
  await goodsForm.locator("button[type=submit]").click();
  await expect(page.getByTestId("error")).toHaveText("Prices are amounts in yuan, such as 59.90.");
});

test.describe("in Simplified Chinese", () => {
  test.use({ locale: "zh-CN" });

  test("registering a taken username is refused in Chinese, without English left in", async ({ page }) => {
    await page.goto("/login");
    await hydrated(page);
    const form = page.getByTestId("register-form");
    await form.locator("input[name=username]").fill("demo_viewer");
    await form.locator("input[name=password]").fill("another-pass-2026");
    await form.locator("button[type=submit]").click();
    await expect(page.getByTestId("error")).toHaveText("该用户名已被占用。");
  });
});

test("a streamer ends a room from the console: it leaves the home page and its page says it has ended", async ({ page }) => {
  await signInAsStreamer(page);
  const title = `E2E 收官 ${Date.now()}`;
  const form = page.getByTestId("create-room");
  await form.locator("input[name=title]").fill(title);
  await form.locator("button[type=submit]").click();
  const row = page.getByTestId("my-rooms").locator("li", { hasText: title });
  await expect(row).toBeVisible();
  await row.getByTestId("manage-room").click();
  await expect(page).toHaveURL(/\/console\/live\/\d+$/);
  const roomPath = new URL(page.url()).pathname.replace("/console", "");
  await hydrated(page);

  await page.getByTestId("end-room").click();

  await expect(page.getByTestId("room-ended")).toBeVisible();
  await page.goto("/");
  await expect(page.locator(`a[href='${roomPath}']`)).toHaveCount(0);
  await page.goto(roomPath);
  await expect(page.locator(".room-ended")).toBeVisible();
});
