// Three phones in a temporary group: created from the UI, 200 messages (most from Node
// over the members' own sockets, some typed on the phones) reach every member in one
// order, read only once every member has ("Read by 1 of 2" until then); a picture, a
// held-to-record voice clip (sent on release, with Undo, its length known to every player), a video clip and a location go from one phone and show
// on the others (map tiles from a local tile server on one, no tiles at all on the other);
// a picture chosen offline survives a reload and goes once; a friend is added, a member
// leaves and the owner ends the group, and everyone's screen follows live.
// Screenshots of the new screens at 360×740, axe-scanned, 44 px targets.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResilientClient } from "../chaos/client";
import { type Session, call, makeFriends, signUp as register } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { type TileServer, launchChromiumWithDevices, png, startTileServer, testPicture, tilesMeta } from "./media-support";
import { PHONE, checkScreen, reloadOffline, signIn, waitConnected, waitForServiceWorker } from "./support";

type Phone = { context: BrowserContext; page: Page; s: Session; name: string };

let server: DevServer;
let browser: Browser;
let tiles: TileServer;
let alice: Phone, bob: Phone, carol: Phone;
/** A friend of Alice's with no phone in this test: added to the group later. */
let dave: Session;
let conv = "";
const BERLIN = { latitude: 52.520008, longitude: 13.404954, accuracy: 15 };

async function phone(name: string, tileUrl: string): Promise<Phone> {
  const s = await register(server.url, name);
  const context = await browser.newContext({ ...PHONE, baseURL: server.url, permissions: ["geolocation", "microphone", "camera"], geolocation: BERLIN });
  await context.addInitScript(tilesMeta(tileUrl));
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[browser ${name}] page error: ${err.message}`));
  return { context, page, s, name };
}

const signInAs = (p: Phone) => signIn(p.page, p.s.handle, "chaos password 1");

const check = checkScreen;

const texts = (page: Page) => page.locator(".bubble .text").allTextContents();

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#composer", text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".bubble.own[data-state]:not([data-state=sending])", { hasText: text }).last().waitFor();
}

beforeAll(async () => {
  [server, browser, tiles] = await Promise.all([startDevServer(), launchChromiumWithDevices(), startTileServer()]);
  // Carol's phone has no way to reach any tiles (a closed port): her map must fall back.
  [alice, bob, carol] = await Promise.all([phone("Alice", tiles.url), phone("Bob", tiles.url), phone("Carol", "http://127.0.0.1:9/{z}/{x}/{y}.png")]);
  dave = await register(server.url, "Dave");
  await Promise.all([makeFriends(server.url, alice.s, bob.s), makeFriends(server.url, alice.s, carol.s), makeFriends(server.url, alice.s, dave)]);
  await Promise.all([signInAs(alice), signInAs(bob), signInAs(carol)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await tiles?.close();
});

describe("temporary group on three phones", () => {
  it("is created from friends on one phone and shows up live, with a group badge, on the others", async () => {
    await alice.page.getByRole("link", { name: "New group" }).click();
    await check(alice.page, "group-new", () => alice.page.locator(`[data-pick-friend="${bob.s.handle}"]`).waitFor());
    // Nobody picked: the form says so instead of asking the server.
    await alice.page.getByRole("button", { name: "Create group" }).click();
    await alice.page.getByRole("alert").filter({ hasText: "at least one friend" }).waitFor();
    await alice.page.fill("#group-name", "Saturday hike");
    await alice.page.getByRole("radio", { name: "1 hour" }).check();
    await alice.page.locator(`[data-pick-friend="${bob.s.handle}"]`).click();
    await alice.page.locator(`[data-pick-friend="${carol.s.handle}"]`).click();
    await alice.page.getByRole("button", { name: "Create group" }).click();
    await alice.page.locator("h1", { hasText: "Saturday hike" }).waitFor();
    conv = decodeURIComponent(new URL(alice.page.url()).pathname.split("/").pop()!);
    expect(conv).toMatch(/^g:/);
    await alice.page.getByText("3 members").waitFor();

    for (const p of [bob, carol]) {
      const row = p.page.locator(`a.row[data-conv="${conv}"]`);
      await row.waitFor();
      expect(await row.locator(".title").textContent()).toBe("Saturday hike");
      expect(await row.locator(".group-badge").textContent()).toBe("Group");
    }
    await check(bob.page, "group-in-chat-list", () => bob.page.locator(`a.row[data-conv="${conv}"]`).waitFor());
    await Promise.all([bob, carol].map((p) => p.page.locator(`a.row[data-conv="${conv}"]`).click()));
    await Promise.all([bob, carol].map((p) => p.page.locator("#composer").waitFor()));
  });

  it("carries 200 messages to every member, all in one order, with names and who has read", async () => {
    // Some typed on the phones…
    await say(alice.page, "ui 1 from Alice");
    await say(bob.page, "ui 2 from Bob");
    await say(carol.page, "ui 3 from Carol");
    await say(alice.page, "ui 4 from Alice");

    // …the rest from each member's second device (a Node socket), all three at once.
    const group = conv.slice(2);
    const devices = [alice, bob, carol].map((p) => new ResilientClient(server.url, p.s.token, `${p.name}-node`));
    for (const d of devices) d.start();
    // 4 typed + 98 from Alice's second device + 49 each from Bob's and Carol's = 200.
    const counts = [98, 49, 49];
    const plan = devices.map((d, i) => Array.from({ length: counts[i]! }, (_, n) => `${d.name} #${String(n + 1).padStart(2, "0")}`));
    plan.forEach((list, i) => list.forEach((text, n) => devices[i]!.send({ t: "send", id: `${devices[i]!.name}-${n}`, to: { group }, body: { type: "text", text } })));
    await Promise.all(devices.map((d, i) => d.waitAccepted(plan[i]!.length, 60_000)));
    expect(devices.flatMap((d) => d.violations)).toEqual([]);

    // The order is the group log's; each member's server copy has it, and each screen shows it.
    // Alice's phone holds a room socket, so her hub's copy comes with the room's lazy digest;
    // a history page asks the room for it first (docs/architecture.md).
    const history = async (): Promise<string[]> =>
      (await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages?limit=200`, { token: alice.s.token })).messages.map((m: { body: { text: string } }) => m.body.text);
    await expect.poll(async () => (await history()).length, { timeout: 10_000 }).toBe(200);
    const order = await history();
    expect(order).toHaveLength(200);
    expect(new Set(order).size).toBe(200);
    for (const p of [bob, carol]) {
      const theirs = await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages?limit=200`, { token: p.s.token });
      expect(theirs.messages.map((m: { body: { text: string } }) => m.body.text)).toEqual(order);
    }
    // Every sender's own messages keep the order they were sent in.
    for (const list of plan) expect(order.filter((t) => list.includes(t))).toEqual(list);
    for (const p of [alice, bob, carol]) await expect.poll(() => texts(p.page), { timeout: 60_000 }).toEqual(order);
    for (const d of devices) d.stop();

    // Names on others' bubbles; Alice sees that Bob and Carol have read her first message.
    const firstBob = bob.page.locator(".bubble.theirs", { hasText: "ui 1 from Alice" });
    expect(await firstBob.locator(".sender").textContent()).toBe("Alice");
    const mine = alice.page.locator(".bubble.own", { hasText: "ui 1 from Alice" });
    await expect.poll(() => mine.locator(".read-by").textContent(), { timeout: 15_000 }).toBe("Read by everyone");
    expect(await mine.getAttribute("data-state")).toBe("read");
    await check(bob.page, "group-conversation", () => bob.page.locator(".bubble .sender").first().waitFor());

    // Read only when every member has: with Carol away, Bob's read makes it "1 of 2", still delivered.
    await carol.page.getByRole("link", { name: "Back to chats" }).click();
    await say(alice.page, "who is bringing the map?");
    const asked = alice.page.locator(".bubble.own", { hasText: "who is bringing the map?" });
    await expect.poll(() => asked.locator(".read-by").textContent(), { timeout: 15_000 }).toBe("Read by 1 of 2");
    expect(await asked.getAttribute("data-state")).toBe("delivered");
    await carol.page.locator(`a.row[data-conv="${conv}"]`).click();
    await expect.poll(() => asked.locator(".read-by").textContent(), { timeout: 15_000 }).toBe("Read by everyone");
    await expect.poll(() => asked.getAttribute("data-state")).toBe("read");
    await carol.page.locator("#composer").waitFor();
  });

  it("sends a picture, a recorded voice clip, a video clip and a location from one phone, shown on the others", async () => {
    const { page } = alice;

    // Picture: pick → preview (scaled on the phone) → confirm → upload → message.
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    await check(page, "attach-sheet", () => page.locator(".sheet .pick-grid").waitFor());
    await page.setInputFiles("input[data-pick=image]", { name: "view.png", mimeType: "image/png", buffer: testPicture() });
    await page.locator(".confirm-preview img.preview-image").waitFor();
    await page.waitForFunction(() => (document.querySelector(".confirm-preview img") as HTMLImageElement | null)?.naturalWidth === 480);
    await page.fill("#draft-caption", "The view from the top");
    await check(page, "confirm-picture", () => page.locator(".confirm-preview img").waitFor());
    await page.locator(".sheet").getByRole("button", { name: "Send" }).click();
    await page.locator(".bubble.own.has-image:not([data-state=sending])").waitFor({ timeout: 30_000 });

    // Voice: hold the button, speak (the fake microphone beeps), release → it goes, with a
    // moment to undo. The first one is undone; the second goes, carrying its real length.
    const mic = page.getByRole("button", { name: "Hold to record a voice message" });
    const record = async () => {
      const box = (await mic.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.locator(".rec-status[data-recording=true]").waitFor();
      const from = Date.now();
      await page.locator(".rec-status", { hasText: "0:02" }).waitFor();
      await page.mouse.up();
      return Date.now() - from;
    };
    await record();
    await page.locator(".rec-status[data-pending]", { hasText: "sending" }).waitFor();
    await page.getByRole("button", { name: "Undo" }).click();
    await check(page, "voice-undone", () => page.locator(".rec-status", { hasText: "Voice message not sent." }).waitFor());
    await page.waitForTimeout(3_500);
    expect(await page.locator(".bubble.own.has-audio").count()).toBe(0);
    const held = await record();
    await page.locator(".bubble.own.has-audio:not([data-state=sending])").waitFor({ timeout: 30_000 });
    const ownVoice = page.locator(".bubble.own.has-audio .voice");
    await expect.poll(() => ownVoice.getAttribute("data-length-ms"), { timeout: 15_000 }).not.toBeNull();
    const ownLength = Number(await ownVoice.getAttribute("data-length-ms"));
    expect(ownLength).toBeGreaterThan(1_500);
    expect(ownLength).toBeLessThan(held + 1_500);

    // Video clip: a short WebM made on the phone (a canvas recorded with MediaRecorder), picked → preview → confirm.
    const clip = await page.evaluate(async () => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 160, height: 120 });
      const ctx = canvas.getContext("2d")!;
      const rec = new MediaRecorder(canvas.captureStream(15), { mimeType: "video/webm;codecs=vp8" });
      const chunks: Blob[] = [];
      rec.ondataavailable = (e) => chunks.push(e.data);
      let frame = 0;
      const paint = () => {
        ctx.fillStyle = `hsl(${(frame++ * 20) % 360} 70% 50%)`;
        ctx.fillRect(0, 0, 160, 120);
      };
      paint();
      rec.start(100);
      const timer = setInterval(paint, 60);
      await new Promise((r) => setTimeout(r, 1200));
      clearInterval(timer);
      await new Promise((r) => {
        rec.onstop = r;
        rec.stop();
      });
      return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
    });
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    await page.setInputFiles("input[data-pick=video]", { name: "clip.webm", mimeType: "video/webm", buffer: Buffer.from(clip) });
    await page.locator(".confirm-preview video").waitFor();
    await page.locator(".sheet").getByRole("button", { name: "Send" }).click();
    await page.locator(".bubble.own.has-video:not([data-state=sending])").waitFor({ timeout: 30_000 });

    // Location: ask the phone (geolocation granted, Berlin), see it on the map, name it, confirm.
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    await page.locator("[data-pick=location]").click();
    await page.locator(".confirm-preview .location[data-map=ready]").waitFor({ timeout: 30_000 });
    expect(await page.locator(".confirm-preview .loc-coords").textContent()).toContain("52.52001, 13.40495");
    await page.fill("#draft-caption", "Meeting point");
    await check(page, "confirm-location", () => page.locator(".confirm-preview .leaflet-tile-loaded").first().waitFor());
    await page.locator(".sheet").getByRole("button", { name: "Send" }).click();
    await page.locator(".bubble.own.has-location:not([data-state=sending])").waitFor({ timeout: 30_000 });

    for (const p of [bob, carol]) {
      // The picture: a thumbnail made on this phone from the server's bytes; a tap shows the full size.
      const img = p.page.locator(".bubble.theirs.has-image img.thumb");
      await img.waitFor({ timeout: 30_000 });
      await p.page.waitForFunction(() => ((document.querySelector(".bubble.theirs.has-image img.thumb") as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
      expect(await p.page.locator(".bubble.theirs.has-image .caption").textContent()).toBe("The view from the top");
      await p.page.getByRole("button", { name: "Open picture full size" }).click();
      await p.page.waitForFunction(() => (document.querySelector(".viewer img") as HTMLImageElement | null)?.naturalWidth === 640);
      if (p === bob) await check(p.page, "picture-full-size", () => p.page.locator(".viewer img").waitFor());
      await p.page.getByRole("button", { name: "Close" }).click();

      // The voice clip knows its length from the metadata alone (a live-recorded WebM has
      // none until played: the phone wrote it in), shows it, and plays inline.
      const voice = p.page.locator(".bubble.theirs.has-audio .voice");
      await expect.poll(() => voice.getAttribute("data-length-ms"), { timeout: 15_000 }).toBe(String(ownLength));
      expect(await voice.locator(".voice-time").textContent()).toMatch(/^0:0[2-4]$/);
      const playing = await p.page.evaluate(async () => {
        const a = document.querySelector(".bubble.theirs.has-audio audio") as HTMLAudioElement;
        if (a.readyState < 1) await new Promise((r) => a.addEventListener("loadedmetadata", r, { once: true }));
        const before = a.duration;
        if (!Number.isFinite(before)) return { src: a.currentSrc, duration: before, time: 0 };
        a.muted = true;
        await a.play();
        const start = performance.now();
        while (a.currentTime === 0 && performance.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
        return { src: a.currentSrc, duration: a.duration, time: a.currentTime };
      });
      expect(playing.src).toMatch(/\/api\/media\/.+/);
      expect(Number.isFinite(playing.duration) && Math.abs(playing.duration * 1000 - ownLength) < 250).toBe(true);
      expect(playing.time).toBeGreaterThan(0);

      // The video clip plays inline too: its frames are 160×120.
      const video = await p.page.evaluate(async () => {
        const v = document.querySelector(".bubble.theirs.has-video video") as HTMLVideoElement;
        if (v.readyState < 1) await new Promise((r) => v.addEventListener("loadedmetadata", r, { once: true }));
        return { src: v.currentSrc, width: v.videoWidth, height: v.videoHeight, inline: v.hasAttribute("playsinline") };
      });
      expect(video).toMatchObject({ width: 160, height: 120, inline: true });
      expect(video.src).toMatch(/\/api\/media\/.+/);

      // The location: coordinates, label and an https maps link (Google Maps' universal URL off Apple devices) always.
      const loc = p.page.locator(".bubble.theirs .location");
      await loc.waitFor();
      expect(await loc.locator(".loc-label").textContent()).toBe("Meeting point");
      expect(await loc.locator(".loc-coords").textContent()).toContain("52.52001, 13.40495");
      expect(await loc.getByRole("link", { name: "Open in maps" }).getAttribute("href")).toBe(`https://www.google.com/maps/search/?api=1&query=${BERLIN.latitude},${BERLIN.longitude}`);
    }
    // Bob's tiles come from the local tile server; Carol's never load, and she gets the fallback.
    await bob.page.locator(".bubble.theirs .location[data-map=ready] .leaflet-tile-loaded").first().waitFor({ timeout: 30_000 });
    expect(tiles.hits()).toBeGreaterThan(0);
    await carol.page.locator(".bubble.theirs .location[data-map=unavailable]").waitFor({ timeout: 30_000 });
    await carol.page.getByText("Map unavailable").waitFor();
    await check(bob.page, "media-messages", () => bob.page.locator(".bubble.theirs.has-location").waitFor());
    await check(carol.page, "location-no-tiles", () => carol.page.locator(".location[data-map=unavailable]").waitFor());
  });

  it("a picture chosen offline stays on the phone through a reload and goes once when the network is back", async () => {
    const { page, context } = alice;
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await page.locator(".net-banner[data-connection=offline]").waitFor();
    await page.getByRole("button", { name: "Attach a picture, clip or location" }).click();
    const night = png(320, 240, (x, y) => (Math.hypot(x - 80, y - 60) < 30 ? [250, 250, 210] : [20, 30, 70 + (y >> 2)]));
    await page.setInputFiles("input[data-pick=image]", { name: "night.png", mimeType: "image/png", buffer: night });
    await page.fill("#draft-caption", "Sent offline");
    await page.locator(".sheet").getByRole("button", { name: "Send" }).click();
    const pending = page.locator(".bubble.own.has-image", { hasText: "Sent offline" });
    await expect.poll(() => pending.getAttribute("data-state")).toBe("sending");

    // Reload with no network: the shell from the service worker, the picture's bytes from IndexedDB.
    const reloaded = await reloadOffline(page);
    await page.locator(".net-banner[data-connection=offline]").waitFor();
    await expect.poll(() => pending.getAttribute("data-state")).toBe("sending");
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>(".bubble.own.has-image img.thumb")].some((i) => i.naturalWidth === 320));

    await reloaded.online();
    await waitConnected(page);
    await expect.poll(() => pending.getAttribute("data-state"), { timeout: 30_000 }).not.toBe("sending");
    const arrived = bob.page.locator(".bubble.theirs.has-image", { hasText: "Sent offline" });
    // Bob scrolled up to tap the earlier picture: this one loads its thumbnail once he scrolls to it.
    await arrived.waitFor({ timeout: 30_000 });
    await arrived.scrollIntoViewIfNeeded();
    await arrived.locator("img.thumb").waitFor({ timeout: 30_000 });
    expect(await arrived.count()).toBe(1);
    expect(await page.locator(".bubble.own.has-image", { hasText: "Sent offline" }).count()).toBe(1);
  });

  it("a friend is added, a member leaves, and the others see both; the owner ends the group and it turns read-only everywhere", async () => {
    await alice.page.getByRole("link", { name: "Group info" }).click();
    await alice.page.locator(`[data-pick-friend="${dave.handle}"]`).click();
    await alice.page.getByRole("button", { name: "Add 1" }).click();
    await alice.page.locator(`[data-member="${dave.handle}"]`).waitFor();
    await alice.page.getByRole("link", { name: "Back to the group chat" }).click();
    for (const p of [alice, bob, carol]) {
      await p.page.locator("[data-notice=joined]", { hasText: "Dave joined" }).waitFor();
      await p.page.getByText("4 members").waitFor();
    }

    await carol.page.getByRole("link", { name: "Group info" }).click();
    await check(carol.page, "group-info", () => carol.page.locator(`[data-member="${alice.s.handle}"]`).waitFor());
    await carol.page.getByRole("button", { name: "Leave group" }).click();
    await carol.page.getByRole("button", { name: "Leave", exact: true }).click();
    await carol.page.locator("[data-readonly=left]").waitFor();
    expect(await carol.page.locator("#composer").count()).toBe(0);

    for (const p of [alice, bob]) {
      await p.page.locator("[data-notice=left]", { hasText: "Carol left" }).waitFor();
      await p.page.getByText("3 members").waitFor();
    }

    await alice.page.getByRole("link", { name: "Group info" }).click();
    await alice.page.getByRole("button", { name: "End group for everyone" }).click();
    await alice.page.getByRole("button", { name: "End group", exact: true }).click();
    await alice.page.locator("[data-readonly=ended]").waitFor();
    // Bob, who never touched anything, sees it end live: banner in, composer gone, notice in the log.
    await bob.page.locator("[data-readonly=ended]").waitFor();
    expect(await bob.page.locator("#composer").count()).toBe(0);
    await bob.page.locator("[data-notice=ended]").waitFor();
    await check(bob.page, "group-ended", () => bob.page.locator("[data-readonly=ended]").waitFor());

    // The server agrees: a send into the ended group is refused.
    const late = new ResilientClient(server.url, bob.s.token, "Bob-late");
    late.start();
    late.send({ t: "send", id: "late-1", to: { group: conv.slice(2) }, body: { type: "text", text: "too late" } });
    await expect.poll(() => late.violations.map((v) => v.detail).join(), { timeout: 15_000 }).toContain("group_ended");
    late.stop();

    // In the chat list, the group stays, marked ended, its last message with its sender's name.
    await bob.page.getByRole("link", { name: "Back to chats" }).click();
    const row = bob.page.locator(`a.row[data-conv="${conv}"]`);
    expect(await row.locator(".group-badge").textContent()).toBe("Group · ended");
    expect(await row.locator(".preview").textContent()).toBe("Alice: 📷 Picture · Sent offline");
  });
});
