// The service worker's side of Web Push in a real Chromium. This Chromium cannot reach a
// push service, so pushes are delivered straight to the worker through the DevTools
// protocol (ServiceWorker.deliverPushMessage, what DevTools' "Push" button does), and the
// shown notifications are read back with registration.getNotifications().
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { launchChromium, newPhone, person, seriousViolations, shoot, signUp, tab, waitForServiceWorker } from "./support";

let server: DevServer;
let browser: Browser;
let phone: { context: BrowserContext; page: Page };
let cdp: CDPSession;
let registrationId: string;

type Shown = { title: string; body: string; tag: string; url: string | undefined; icon: string };

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  phone = await newPhone(browser, server.url);
  await phone.context.grantPermissions(["notifications"], { origin: server.url });
  await signUp(phone.page, person("Pushy"));
  await waitForServiceWorker(phone.page);

  cdp = await phone.context.newCDPSession(phone.page);
  const scope = `${new URL(server.url).origin}/`;
  const found = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      const mine = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (mine) resolve(mine.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  registrationId = await found;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function push(data: string): Promise<void> {
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: new URL(server.url).origin, registrationId, data });
}

function shown(): Promise<Shown[]> {
  return phone.page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url, icon: n.icon })),
  );
}

async function clear(): Promise<void> {
  await phone.page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).forEach((n) => n.close()));
  await expect.poll(shown).toEqual([]);
}

const conv = "d:u_alice:u_bob";

describe("Web Push in the service worker", () => {
  it("shows a message with the sender as title and the text as body, tagged with the conversation", async () => {
    await clear();
    await push(JSON.stringify({ v: 1, type: "message", conv, title: "Alice", kind: "text", text: "hello there", at: Date.now() }));
    await expect.poll(shown, { timeout: 10_000 }).toEqual([
      { title: "Alice", body: "hello there", tag: conv, url: `/chat/${encodeURIComponent(conv)}`, icon: `${server.url}/icons/icon-192.png` },
    ]);
  });

  it("a second push for the same conversation replaces the first", async () => {
    await push(JSON.stringify({ v: 1, type: "message", conv, title: "Alice", kind: "image", text: "at the beach", at: Date.now() }));
    await expect.poll(async () => (await shown()).map((n) => [n.tag, n.body]), { timeout: 10_000 }).toEqual([[conv, "Photo: at the beach"]]);
  });

  it("labels media without a caption, and a group message keeps its own tag", async () => {
    await clear();
    await push(JSON.stringify({ v: 1, type: "message", conv: "g:grp_1", title: "Carol · Hikers", kind: "audio", at: Date.now() }));
    await push(JSON.stringify({ v: 1, type: "message", conv, title: "Alice", kind: "location", at: Date.now() }));
    await expect
      .poll(async () => (await shown()).map((n) => [n.title, n.body, n.tag]).sort(), { timeout: 10_000 })
      .toEqual([["Alice", "Location", conv], ["Carol · Hikers", "Voice message", "g:grp_1"]]);
  });

  it("a friend request links to Contacts and carries the verification message", async () => {
    await clear();
    await push(JSON.stringify({ v: 1, type: "friend.request", title: "Dave", text: "from the book club", at: Date.now() }));
    await expect
      .poll(shown, { timeout: 10_000 })
      .toEqual([expect.objectContaining({ title: "Dave", body: "wants to be your friend\nfrom the book club", tag: "friend-requests", url: "/contacts" })]);
  });

  it("a push that is not JSON still shows the generic notification", async () => {
    await clear();
    await push("\u0000not json{");
    await expect.poll(shown, { timeout: 10_000 }).toEqual([expect.objectContaining({ title: "Unibox", body: "New message", tag: "unibox", url: "/" })]);
  });

  it("Me has a Notifications switch; turning it on where no push service answers fails cleanly", async () => {
    await tab(phone.page, "Me");
    const toggle = phone.page.getByRole("switch", { name: "Notifications" });
    await toggle.waitFor();
    // Permission is granted but this Chromium has no push service to subscribe with: off.
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    const box = await toggle.boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    expect(box!.width).toBeGreaterThanOrEqual(44);
    expect(await seriousViolations(phone.page)).toEqual([]);

    // No VAPID keys (503) or no push service to subscribe with: either way an error line, and still off.
    await toggle.click();
    await phone.page.locator("#notifications ~ .field-error[role=alert]").waitFor({ timeout: 30_000 });
    console.log(`[push] enabling here says: ${await phone.page.locator(".field-error[role=alert]").textContent()}`);
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    await shoot(phone.page, "me-notifications-error");
  });
});
