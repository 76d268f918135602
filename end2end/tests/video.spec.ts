import { test, expect, APIRequestContext, Page } from "@playwright/test";
import { spawn, ChildProcess } from "node:child_process";
import { hydrated, signIn } from "./support";

// Live video end to end: ffmpeg pushes a generated stream through nginx's RTMP
// ingest (started beside the server, see playwright.config.ts), the room plays
// it in Chromium (hls.js), a "now explaining" mark lights its card only when
// the viewer's picture reaches the moment it was pressed, and the ended room
// replays with its product timeline.

const port = Number(process.env.E2E_PORT ?? 3300);
const RTMP = `rtmp://127.0.0.1:${port + 2}/live`;

test.use({ locale: "zh-CN" });

type Streaming = { auth: Record<string, string>; liveId: number; spus: number[]; key: string };

async function streamingRoom(request: APIRequestContext): Promise<Streaming> {
  const username = `e2e_video_${Date.now()}`;
  const registered = await request.post("/api/auth/register", {
    data: { username, password: "video-pass-2026", role: "streamer" },
  });
  expect(registered.status()).toBe(201);
  const auth = { authorization: `Bearer ${(await registered.json()).token}` };
  const room = await request.post("/api/live", { headers: auth, data: { title: "直播测试 Live test" } });
  expect(room.status()).toBe(201);
  const liveId: number = (await room.json()).live_id;
  const spus: number[] = [];
  for (const title of ["龙井茶 Tea", "茶杯 Cup"]) {
    const goods = await request.post("/api/goods", {
      headers: auth,
      data: { title, skus: [{ spec: "标准", price_cents: 2990, stock: 50 }] },
    });
    const spu = (await goods.json()).spu_id;
    expect((await request.post(`/api/live/${liveId}/goods`, { headers: auth, data: { spu_id: spu } })).status()).toBe(201);
    spus.push(spu);
  }
  const minted = await request.post(`/api/live/${liveId}/stream-key`, { headers: auth });
  expect(minted.status()).toBe(201);
  return { auth, liveId, spus, key: (await minted.json()).stream_key };
}

/// ffmpeg pushing a test pattern with 1 s keyframes, as a streamer's encoder would.
function push(key: string, seconds: number): ChildProcess {
  return spawn(
    "ffmpeg",
    [
      "-hide_banner", "-loglevel", "error", "-re",
      "-f", "lavfi", "-i", `testsrc2=size=320x180:rate=25:duration=${seconds}`,
      "-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`,
      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-f", "flv", `${RTMP}/${key}`,
    ],
    { stdio: "ignore" },
  );
}

/// A streaming room pushed for `seconds`, open in `page` once it is live and playing.
async function watchLive(page: Page, request: APIRequestContext, seconds: number) {
  const streaming = await streamingRoom(request);
  const encoder = push(streaming.key, seconds);
  try {
    await page.goto(`/live/${streaming.liveId}`);
    await hydrated(page);
    const room = page.getByTestId("room");
    await expect(room).toHaveAttribute("data-stream", "live", { timeout: 15_000 });
    await expect(page.getByTestId("video")).toHaveAttribute("data-player", "playing", { timeout: 40_000 });
    return { ...streaming, encoder, room };
  } catch (err) {
    encoder.kill("SIGKILL");
    throw err;
  }
}

async function mediaTime(page: Page): Promise<number> {
  return page.getByTestId("video").evaluate((v) => (v as HTMLVideoElement).currentTime);
}

test("the room plays the live stream and lights a card when the viewer's picture reaches the moment it was pressed", async ({ page, request }) => {
  test.setTimeout(120_000);
  const { auth, liveId, spus, encoder, room } = await watchLive(page, request, 90);
  try {
    const before = await mediaTime(page);
    await page.waitForTimeout(2_000);
    expect(await mediaTime(page)).toBeGreaterThan(before + 1);
    await expect(page.getByTestId("unmute")).toBeVisible();
    await expect(room).toHaveAttribute("data-stream-ms", /^[0-9]+$/, { timeout: 10_000 });

    // Note the picture's stream time at the moment the card lights up.
    await page.evaluate((spu) => {
      const w = window as unknown as { litAt: number | null };
      w.litAt = null;
      const tray = document.querySelector("[data-testid=goods-cards]")!;
      const roomEl = document.querySelector("[data-testid=room]") as HTMLElement;
      new MutationObserver(() => {
        const card = tray.querySelector(`[data-testid=goods-card][data-spu-id="${spu}"]`);
        if (w.litAt === null && card?.classList.contains("explaining")) w.litAt = Number(roomEl.dataset.streamMs);
      }).observe(tray, { subtree: true, childList: true, attributes: true });
    }, spus[1]);

    const pressed = await request.post(`/api/live/${liveId}/explaining`, { headers: auth, data: { spu_id: spus[1] } });
    expect(pressed.status()).toBe(200);
    const timeline = await (await request.get(`/api/live/${liveId}/timeline`)).json();
    const pressedAt: number = timeline.entries[timeline.entries.length - 1].stream_time_ms;

    // The viewer is seconds behind the streamer: the event has arrived, the card waits.
    const card = page.locator(`[data-testid=goods-card][data-spu-id="${spus[1]}"]`);
    await page.waitForTimeout(500);
    expect(Number(await room.getAttribute("data-stream-ms"))).toBeLessThan(pressedAt);
    await expect(card).not.toHaveClass(/explaining/);
    await expect(card).toHaveClass(/explaining/, { timeout: 30_000 });
    const litAt = await page.evaluate(() => (window as unknown as { litAt: number | null }).litAt);
    expect(litAt).not.toBeNull();
    expect(litAt!).toBeGreaterThanOrEqual(pressedAt - 300);
  } finally {
    encoder.kill("SIGKILL");
  }
});

test("where the browser plays HLS itself (Safari, iOS) the room plays natively, without hls.js, and still lights the card", async ({ page, request }) => {
  test.setTimeout(120_000);
  // Chromium plays HLS natively too; without Media Source Extensions the
  // player takes the path Safari and iOS take.
  await page.addInitScript(() => {
    delete (window as unknown as Record<string, unknown>).MediaSource;
    delete (window as unknown as Record<string, unknown>).ManagedMediaSource;
  });
  const hlsJs: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/vendor/hls")) hlsJs.push(r.url());
  });
  const { auth, liveId, spus, encoder, room } = await watchLive(page, request, 90);
  try {
    // A first playlist the player cannot parse yet is retried by the player itself.
    await expect.poll(() => mediaTime(page), { timeout: 30_000 }).toBeGreaterThan(1);
    const before = await mediaTime(page);
    await page.waitForTimeout(2_000);
    expect(await mediaTime(page)).toBeGreaterThan(before + 1);
    expect(await page.getByTestId("video").evaluate((v) => (v as HTMLVideoElement).src)).toContain(".m3u8");
    expect(hlsJs).toEqual([]);
    // The picture's time is estimated from the live edge: behind the streamer, and the mark still lands.
    await expect(room).toHaveAttribute("data-stream-ms", /^[0-9]+$/, { timeout: 10_000 });
    expect((await request.post(`/api/live/${liveId}/explaining`, { headers: auth, data: { spu_id: spus[0] } })).status()).toBe(200);
    const card = page.locator(`[data-testid=goods-card][data-spu-id="${spus[0]}"]`);
    await page.waitForTimeout(500);
    await expect(card).not.toHaveClass(/explaining/);
    await expect(card).toHaveClass(/explaining/, { timeout: 30_000 });
  } finally {
    encoder.kill("SIGKILL");
  }
});

test("an ended room replays its stream and jumps to where a product was explained", async ({ page, request }) => {
  test.setTimeout(120_000);
  const { auth, liveId, spus, key } = await streamingRoom(request);
  const encoder = push(key, 14);
  await expect
    .poll(async () => (await (await request.get(`/api/live/${liveId}`)).json()).stream_status, { timeout: 15_000 })
    .toBe("live");
  // Explain the cup about six seconds into the stream and put a teapot on sale then; let the push finish.
  const teapot = (await (await request.post("/api/goods", {
    headers: auth,
    data: { title: "茶壶 Teapot", skus: [{ spec: "标准", price_cents: 8800, stock: 5 }] },
  })).json()).spu_id;
  await page.waitForTimeout(6_000);
  expect((await request.post(`/api/live/${liveId}/explaining`, { headers: auth, data: { spu_id: spus[1] } })).status()).toBe(200);
  expect((await request.post(`/api/live/${liveId}/goods`, { headers: auth, data: { spu_id: teapot } })).status()).toBe(201);
  await new Promise((resolve) => encoder.on("exit", resolve));
  await expect
    .poll(async () => (await (await request.get(`/api/live/${liveId}`)).json()).stream_status, { timeout: 15_000 })
    .toBe("reconnecting");
  expect((await request.post(`/api/live/${liveId}/end`, { headers: auth })).status()).toBe(200);

  await page.goto(`/live/${liveId}`);
  await hydrated(page);
  await expect(page.locator(".live-badge.replay")).toBeVisible();
  await expect(page.getByTestId("video")).toHaveAttribute("data-player", "playing", { timeout: 30_000 });
  // The tray is as it was: the teapot, put on sale six seconds in, is not there yet.
  const teapotCard = page.locator(`[data-testid=goods-card][data-spu-id="${teapot}"]`);
  const room = page.getByTestId("room");
  await expect(room).toHaveAttribute("data-stream-ms", /^[0-9]+$/, { timeout: 10_000 });
  expect(Number(await room.getAttribute("data-stream-ms"))).toBeLessThan(5_000);
  await expect(page.getByTestId("goods-card")).toHaveCount(2);
  await expect(teapotCard).toHaveCount(0);
  const jump = page.locator(`[data-testid=timeline-jump][data-spu-id="${spus[1]}"]`);
  await expect(jump).toBeVisible({ timeout: 10_000 });
  const explainedAt = Number(await jump.getAttribute("data-stream-ms"));
  expect(explainedAt).toBeGreaterThan(3_000);
  await jump.click();
  await expect
    .poll(async () => Number(await room.getAttribute("data-stream-ms")), { timeout: 10_000 })
    .toBeGreaterThanOrEqual(explainedAt - 500);
  expect(Number(await room.getAttribute("data-stream-ms"))).toBeLessThan(explainedAt + 4_000);
  // The replay shows the cards as they were: the cup is lit from that moment on.
  const cup = page.locator(`[data-testid=goods-card][data-spu-id="${spus[1]}"]`);
  await expect(cup).toHaveClass(/explaining/);
  await expect(teapotCard).toBeVisible({ timeout: 5_000 });

  // The replay sells on, and what it sells is counted as the replay's.
  await expect(cup.getByTestId("buy")).toHaveAttribute("href", /source_type=replay/);
  await cup.getByTestId("buy").click();
  await expect(page).toHaveURL(new RegExp(`/app/goods_detail\\?spu_id=${spus[1]}&source_type=replay&live_id=${liveId}`));
  await expect(page.locator(".live-source")).toContainText("回放");
  await signIn(page, "demo_viewer", page.url().replace(/^https?:\/\/[^/]+/, ""));
  await expect(page).toHaveURL(/source_type=replay/);
  await hydrated(page);
  await page.getByTestId("buy").click();
  await expect(page.getByTestId("order-placed")).toBeVisible();
  const replayed = async () =>
    (await (await request.get(`/api/live/${liveId}/dashboard`, { headers: auth })).json()).funnel.replay;
  await expect.poll(async () => (await replayed()).orders, { timeout: 10_000 }).toBe(1);
  expect((await replayed()).views).toBeGreaterThanOrEqual(1);
});

test("the demo room plays its stream behind the cards on a phone and a desktop (the screenshots in docs/)", async ({ page, request }) => {
  test.setTimeout(120_000);
  const login = await request.post("/api/auth/login", { data: { username: "demo_streamer", password: "demo-pass-2026" } });
  expect(login.status()).toBe(200);
  const auth = { authorization: `Bearer ${(await login.json()).token}` };
  const minted = await request.post("/api/live/1/stream-key", { headers: auth });
  expect(minted.status()).toBe(201);
  const encoder = push((await minted.json()).stream_key, 60);
  try {
    for (const size of [
      { name: "mobile", width: 390, height: 844 },
      { name: "desktop", width: 1440, height: 900 },
    ]) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.goto("/live/1");
      await hydrated(page);
      await expect(page.getByTestId("video")).toHaveAttribute("data-player", "playing", { timeout: 40_000 });
      await expect(page.getByTestId("stream-status")).toHaveCount(0);
      await page.waitForTimeout(1_000);
      await page.screenshot({ path: `../docs/room-${size.name}-${size.width}x${size.height}.png` });
    }
  } finally {
    encoder.kill("SIGKILL");
  }
});
