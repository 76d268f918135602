// Steps several specs share.
import { expect, Page } from "@playwright/test";

/// Waits until the WASM has taken over the page.
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
}

/// Signs in through the login form, returning to `next`.
export async function signIn(page: Page, username: string, next: string, password = "demo-pass-2026") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.locator("input[name=username]").fill(username);
  await form.locator("input[name=password]").fill(password);
  await form.locator("button[type=submit]").click();
}
