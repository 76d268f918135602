import { test, expect } from "@playwright/test";
import { hydrated, signIn } from "./support";

test.use({ locale: "zh-CN" });

test("a signed-in viewer orders from the room's buy control and sees the order number and the new stock", async ({ page }) => {
  await signIn(page, "demo_viewer", "/live/1");
  await expect(page).toHaveURL(/\/live\/1$/);
  await hydrated(page);

  const card = page.getByTestId("goods-card").nth(2);
  const spuId = await card.getAttribute("data-spu-id");
  await card.getByTestId("buy").click();
  await expect(page).toHaveURL(new RegExp(`/app/goods_detail\\?spu_id=${spuId}&source_type=live&live_id=1&tracking_code=`));
  await hydrated(page);

  const stockLine = page.getByTestId("sku-stock");
  const before = Number((await stockLine.textContent())!.replace(/\D/g, ""));
  await page.getByTestId("buy").click();
  const placed = page.getByTestId("order-placed");
  await expect(placed).toBeVisible();
  await expect(placed).toContainText(/订单号 \d{8}\d+/);
  await expect(stockLine).toContainText(String(before - 1));
});

test("a signed-out shopper is sent to sign in and comes back to the product", async ({ page }) => {
  await page.goto("/app/goods_detail?spu_id=3&source_type=live&live_id=1");
  await hydrated(page);
  await page.getByTestId("buy").click();
  await expect(page).toHaveURL(/\/login\?next=/);
  await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.locator("input[name=username]").fill("demo_viewer");
  await form.locator("input[name=password]").fill("demo-pass-2026");
  await form.locator("button[type=submit]").click();
  await expect(page).toHaveURL(/\/app\/goods_detail\?spu_id=3&source_type=live&live_id=1$/);
  await expect(page.getByTestId("buy")).toBeEnabled();
});
