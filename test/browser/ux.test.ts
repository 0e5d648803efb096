// Issue 15, as a new user meets the phone client (360×740, touch, a real wrangler dev):
// errors are sentences in the user's language, a file that cannot go says why before it
// is sent and a 12 MB photo is shrunk and simply goes, a failed message says why in
// readable colours, the keyboard's Send key sends, the list shows "read", long-press menus
// work and pass axe in both themes, typing shows, presence is not claimed offline, the
// browser's bar follows the app's theme, and the address on Me breaks only at its "@".
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeFriends } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { png } from "./media-support";
import { checkScreen, launchChromium, storedKv, tab, waitConnected } from "./support";
import { type Phone, colourOf, longPress, openChatWith, phoneFor } from "./ux-support";

let server: DevServer;
let browser: Browser;
let alice: Phone, bob: Phone;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  [alice, bob] = await Promise.all([phoneFor(browser, server.url, "Alice"), phoneFor(browser, server.url, "Bob")]);
  await makeFriends(server.url, alice.s, bob.s);
  await Promise.all([alice.page.reload(), bob.page.reload()]);
  await Promise.all([waitConnected(alice.page), waitConnected(bob.page)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const own = (p: Phone, text: string) => p.page.locator(".bubble.own", { hasText: text }).last();

describe("the phone client, as a new user finds it", () => {
  it("says why a friend request failed in a sentence, in English and in Chinese", async () => {
    const { page } = alice;
    await tab(page, "Contacts");
    await page.fill("#add-to", "+1 212 555 0199");
    await page.getByRole("button", { name: "Send request" }).click();
    await expect.poll(() => page.locator("#add-to-error").textContent()).toBe("Nobody on Unibox has that number, handle or address.");
    expect(await page.getAttribute("#add-to", "aria-invalid")).toBe("true");
    // Editing the number clears the stale line at once.
    await page.fill("#add-to", "+1 212 555 01");
    expect(await page.locator("#add-to-error").count()).toBe(0);

    await tab(page, "Me");
    await page.selectOption("#language", "zh-CN");
    await page.locator("nav.tabbar a", { hasText: "联系人" }).click();
    await page.fill("#add-to", "+1 212 555 0199");
    await page.getByRole("button", { name: "发送请求" }).click();
    await expect.poll(() => page.locator("#add-to-error").textContent()).toBe("Unibox 上没有使用该号码、用户名或地址的人。");
    await page.locator("nav.tabbar a", { hasText: "我" }).click();
    await page.selectOption("#language", "en");
    await page.locator("h1", { hasText: "Me" }).waitFor();
  });

  it("paints the browser's bar in the app's theme, not only the system's", async () => {
    const { page } = alice;
    await page.emulateMedia({ colorScheme: "light" });
    const bars = () => page.locator('meta[name="theme-color"]').evaluateAll((ms) => ms.map((m) => (m as HTMLMetaElement).content));
    await page.getByRole("radio", { name: "Dark" }).check();
    expect(await bars()).toEqual(["#181b21", "#181b21"]);
    await page.reload();
    expect(await bars()).toEqual(["#181b21", "#181b21"]);
    await page.getByRole("radio", { name: "System" }).check();
    expect(await bars()).toEqual(["#ffffff", "#181b21"]);
  });

  it("breaks the address on Me only before its @, never inside a word", async () => {
    const { page } = alice;
    const halves = await page.locator("dd.address .nowrap").evaluateAll((spans) =>
      spans.map((s) => ({ text: s.textContent, lines: Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)) })),
    );
    expect(halves.map((h) => h.text).join("")).toMatch(new RegExp(`^${alice.s.handle}@`));
    expect(halves.map((h) => h.lines)).toEqual([1, 1]);
  });

  it("sends with the keyboard's Send key on a touch phone", async () => {
    const { page } = alice;
    await openChatWith(page, bob.s);
    expect(await page.evaluate(() => matchMedia("(pointer: coarse)").matches)).toBe(true);
    expect(await page.getAttribute("#composer", "enterkeyhint")).toBe("send");
    await page.locator("#composer").fill("sent with the Send key");
    await page.locator("#composer").press("Enter");
    await own(alice, "sent with the Send key").waitFor();
    expect(await page.inputValue("#composer")).toBe("");
    expect(await own(alice, "sent with the Send key").locator(".text").textContent()).toBe("sent with the Send key");
  });

  it("shows read ticks in the chat list in their own colour, with a label", async () => {
    // Bob is on his chat list: the message reaches his phone (delivered) but is not read.
    await bob.page.goto("/");
    await waitConnected(bob.page);
    await alice.page.locator("#composer").fill("tick check");
    await alice.page.locator("#composer").press("Enter");
    await expect.poll(() => own(alice, "tick check").getAttribute("data-state"), { timeout: 15_000 }).toBe("delivered");
    await alice.page.getByRole("link", { name: "Back to chats" }).click();
    const row = alice.page.locator(`a.row[data-conv]`, { hasText: "Bob" });
    await expect.poll(() => row.locator(".state").getAttribute("data-state")).toBe("delivered");
    const delivered = await colourOf(row.locator(".state svg"));
    expect(await row.locator(".state .sr-only").textContent()).toBe("Delivered");

    await bob.page.locator("a.row[data-conv]", { hasText: "Alice" }).click();
    await bob.page.locator(".bubble.theirs", { hasText: "tick check" }).waitFor();
    await expect.poll(() => row.locator(".state").getAttribute("data-state"), { timeout: 15_000 }).toBe("read");
    expect(await row.locator(".state .sr-only").textContent()).toBe("Read");
    expect(await colourOf(row.locator(".state svg"))).not.toBe(delivered);
    await checkScreen(alice.page, "ux-chats-read", () => row.locator('.state[data-state="read"]').waitFor());
  });

  it("opens a menu on a long press: forward, reply quotes, delete for me, and the chat row mutes — every sheet axe-clean in light and dark", async () => {
    const { page } = bob; // in the chat with Alice
    const theirs = page.locator(".bubble.theirs", { hasText: "tick check" });
    await longPress(page, theirs);
    const menu = page.getByRole("dialog", { name: "Message" });
    await checkScreen(page, "ux-message-menu", () => menu.waitFor());
    // Forward: the list of chats to send it to (only Alice's here), axe-clean too.
    await menu.getByRole("button", { name: "Forward" }).click();
    const forward = page.getByRole("dialog", { name: "Forward to…" });
    await checkScreen(page, "ux-forward", () => forward.waitFor());
    await forward.getByRole("button", { name: "Alice" }).click();
    await forward.getByRole("status").filter({ hasText: "Forwarded to Alice" }).waitFor();
    await forward.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => page.locator(".bubble.own", { hasText: "tick check" }).count(), { timeout: 15_000 }).toBe(1);

    await longPress(page, theirs);
    await menu.getByRole("button", { name: "Reply" }).click();
    await checkScreen(page, "ux-reply-bar", () => page.locator(".reply-bar", { hasText: "Replying to Alice" }).waitFor());
    await page.locator("#composer").fill("got it");
    await page.locator("#composer").press("Enter");
    const reply = alice.page.locator(".bubble.theirs", { hasText: "got it" });
    await alice.page.locator("a.row[data-conv]", { hasText: "Bob" }).click();
    await reply.waitFor();
    expect(await reply.locator("blockquote").textContent()).toBe("Alice: tick check");
    expect(await reply.locator(".text").textContent()).toBe("got it");

    // Right-click works the same (a mouse, or a keyboard's menu key): delete for me, for good.
    await alice.page.locator(".bubble.theirs", { hasText: "got it" }).click({ button: "right" });
    await alice.page.getByRole("dialog", { name: "Message" }).getByRole("button", { name: "Delete for me" }).click();
    await expect.poll(() => alice.page.locator(".bubble", { hasText: "got it" }).count()).toBe(0);
    // The screen changes first and IndexedDB after: a reload must not race the write.
    await expect.poll(async () => ((await storedKv(alice.page, "hiddenMessages")) as string[] | undefined)?.length ?? 0).toBe(1);
    await alice.page.reload();
    await waitConnected(alice.page);
    await own(alice, "tick check").waitFor();
    expect(await alice.page.locator(".bubble", { hasText: "got it" }).count()).toBe(0);

    await page.getByRole("link", { name: "Back to chats" }).click();
    const row = page.locator("a.row[data-conv]", { hasText: "Alice" });
    await longPress(page, row);
    const rowMenu = page.getByRole("dialog", { name: "Alice" });
    await checkScreen(page, "ux-chat-menu", () => rowMenu.waitFor());
    expect(page.url()).toMatch(/\/$/); // the held row did not open the chat
    await rowMenu.getByRole("button", { name: "Mute" }).click();
    await row.getByRole("img", { name: "Muted" }).waitFor();
  });

  it("shows typing… in the peer's header while one types, and it goes by itself", async () => {
    // Needs the hub to relay {"t":"typing"} frames (the lead's server change for issue 15).
    await bob.page.locator("a.row[data-conv]", { hasText: "Alice" }).click();
    await bob.page.locator("#composer").waitFor();
    await alice.page.locator("#composer").pressSequentially("are you still", { delay: 80 });
    await bob.page.locator("[data-typing]", { hasText: "typing…" }).waitFor({ timeout: 10_000 });
    // She stops: paused after 5 s, or the indicator's own 6 s, whichever comes.
    await bob.page.locator("[data-typing]").waitFor({ state: "detached", timeout: 10_000 });
    await alice.page.locator("#composer").fill("");
  });

  it("does not claim the peer is online while this phone is offline", async () => {
    const { page, context } = bob;
    await openChatWith(page, alice.s);
    await page.locator("[data-presence=online]").waitFor();
    await context.setOffline(true);
    await page.locator(".net-banner[data-connection=offline]").waitFor();
    expect(await page.locator("[data-presence]").count()).toBe(0);
    expect(await page.locator(".conv-top .presence").count()).toBe(0);
    await context.setOffline(false);
    await waitConnected(page);
    await page.locator("[data-presence=online]").waitFor();
  });

  it("refuses a fake picture before sending, saying why, and shrinks a 12 MB photo so it simply goes, upright", async () => {
    const { page } = alice;
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    const text = Buffer.from("shopping list: eggs, milk, tea\n".repeat(200));
    await page.setInputFiles("input[data-pick=image]", { name: "holiday.png", mimeType: "image/png", buffer: text });
    const sheet = page.getByRole("dialog");
    await sheet.getByRole("alert").filter({ hasText: "That kind of file can't be sent." }).waitFor();
    expect(await sheet.locator("img").count()).toBe(0);
    expect(await sheet.getByRole("button", { name: "Send" }).count()).toBe(0);
    await checkScreen(page, "ux-refused-file", () => sheet.getByRole("alert").waitFor());
    await sheet.getByRole("button", { name: "Cancel" }).click();

    // A camera-sized photo: 2600×1950 with sensor-like noise, over 12 MB as a PNG.
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) - 128;
    const photo = png(2600, 1950, (x, y) => [
      Math.max(0, Math.min(255, 120 + (y >> 4) + (noise() >> 1))),
      Math.max(0, Math.min(255, 140 + (x >> 5) + (noise() >> 1))),
      Math.max(0, Math.min(255, 200 - (y >> 4) + (noise() >> 1))),
    ]);
    expect(photo.length).toBeGreaterThan(12 * 1024 * 1024);
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    await page.setInputFiles("input[data-pick=image]", { name: "camera.png", mimeType: "image/png", buffer: photo });
    await page.locator(".confirm-preview img.preview-image").waitFor({ timeout: 30_000 });
    await page.getByRole("dialog").getByRole("button", { name: "Send" }).click();
    const sent = page.locator(".bubble.own.has-image").last();
    await expect.poll(() => sent.getAttribute("data-state"), { timeout: 60_000 }).toMatch(/^(sent|delivered|read)$/);
    // What the server keeps is the phone's JPEG: 2048 px on the long edge, a fraction of the size.
    const media = await bob.page.locator(".bubble.theirs.has-image [data-media]").last().getAttribute("data-media", { timeout: 30_000 });
    const stored = await bob.page.evaluate(async (id) => {
      const res = await fetch(`/api/media/${id}`);
      const blob = await res.blob();
      const bitmap = await createImageBitmap(blob);
      return { type: res.headers.get("content-type"), size: blob.size, width: bitmap.width, height: bitmap.height };
    }, media);
    expect(stored).toMatchObject({ type: "image/jpeg", width: 2048, height: 1536 });
    expect(stored.size).toBeLessThan(photo.length / 2);

    // A phone photo taken upright is stored sideways with EXIF Orientation 6 ("rotate 90°
    // clockwise"): the shrunk copy has the rotation in its pixels (portrait), and no EXIF.
    const sideways = await page.evaluate(async () => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 2400, height: 1200 });
      const ctx = canvas.getContext("2d")!;
      ctx.fillStyle = "#3a7";
      ctx.fillRect(0, 0, 2400, 1200);
      ctx.fillStyle = "#e33";
      ctx.fillRect(0, 0, 600, 1200); // the top of the scene, on the left before rotation
      const jpeg = new Uint8Array(await (await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), "image/jpeg", 0.9))).arrayBuffer());
      // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6.
      const exif = [0xff, 0xe1, 0x00, 0x22, ...[..."Exif"].map((c) => c.charCodeAt(0)), 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
      return [...jpeg.subarray(0, 2), ...exif, ...jpeg.subarray(2)];
    });
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    await page.setInputFiles("input[data-pick=image]", { name: "upright.jpg", mimeType: "image/jpeg", buffer: Buffer.from(sideways) });
    await page.locator(".confirm-preview img.preview-image").waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector(".confirm-preview img") as HTMLImageElement | null;
      return !!img && img.naturalWidth === 240 && img.naturalHeight === 480;
    });
    await page.getByRole("dialog").getByRole("button", { name: "Send" }).click();
    await expect.poll(() => bob.page.locator(".bubble.theirs.has-image [data-media]").count(), { timeout: 30_000 }).toBe(2);
    const upright = await bob.page.locator(".bubble.theirs.has-image [data-media]").last().getAttribute("data-media");
    const shape = await bob.page.evaluate(async (id) => {
      const bitmap = await createImageBitmap(await (await fetch(`/api/media/${id}`)).blob(), { imageOrientation: "none" });
      const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d")!;
      c.drawImage(bitmap, 0, 0);
      const [r, g] = c.getImageData(bitmap.width / 2, 20, 1, 1).data;
      return { width: bitmap.width, height: bitmap.height, topIsRed: r! > 150 && g! < 120 };
    }, upright);
    expect(shape).toEqual({ width: 1024, height: 2048, topIsRed: true });
  });

  it("says why a message failed, in readable colours in light and dark, with Retry only where it can help", async () => {
    const carol = await phoneFor(browser, server.url, "Carol");
    await makeFriends(server.url, alice.s, carol.s);
    await alice.page.reload();
    await waitConnected(alice.page);
    await openChatWith(alice.page, carol.s);
    await call(server.url, `/api/friends/${alice.s.id}`, { method: "DELETE", token: carol.s.token });
    await alice.page.locator("#composer").fill("are we still friends?");
    await alice.page.locator("#composer").press("Enter");
    const failed = own(alice, "are we still friends?");
    await expect.poll(() => failed.getAttribute("data-state"), { timeout: 15_000 }).toBe("failed");
    expect(await failed.locator(".failed-reason").textContent()).toBe("You can only message your friends.");
    await failed.getByRole("button", { name: "Retry" }).waitFor();
    await checkScreen(alice.page, "ux-failed-message", () => failed.locator(".failed-reason").waitFor());
    await carol.context.close();
  });
});
