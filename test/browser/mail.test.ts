// The Mail tab in a real Chromium at phone size, against a real `wrangler dev` and a real
// SMTP relay: a mail to the own address shows up at once; read, its remote picture stays
// unloaded (the picture's server sees no request) until the user asks, its PDF downloads;
// a reply quotes it and reaches the SMTP server in its thread; a send the relay refuses
// keeps the draft and says why; a draft sent while offline goes when the phone is back.
// Each screen is axe-clean in light and dark, with 44 px targets.
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { type Smtp, startSmtp } from "../support/peers/smtp";
import { crlf, deliverLocal } from "../e2e/mail/helpers";
import { checkScreen, launchChromium, newPhone, person, signUp, waitConnected } from "./support";

const DOMAIN = "unibox.example";
const relayUsers: Record<string, string> = { relay: "relay secret" };
let server: DevServer;
let relay: Smtp;
let pictures: Server;
let pictureHits: string[] = [];
let pictureUrl = "";
let browser: Browser;
let context: BrowserContext;
let page: Page;
let handle = "";
const pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");

beforeAll(async () => {
  // A server on the internet, as far as the mail is concerned: it records whoever asks for the picture.
  pictures = createServer((req, res) => {
    pictureHits.push(req.url ?? "");
    res.writeHead(200, { "Content-Type": "image/png" }).end(PNG);
  });
  await new Promise<void>((r) => pictures.listen(0, "127.0.0.1", r));
  pictureUrl = `http://127.0.0.1:${(pictures.address() as { port: number }).port}/track.png?who=reader`;
  relay = await startSmtp({ users: relayUsers });
  [server, browser] = await Promise.all([
    startDevServer({ vars: { SMTP_RELAY_HOST: relay.host, SMTP_RELAY_PORT: String(relay.port), SMTP_RELAY_SECURITY: "plain", SMTP_RELAY_USER: "relay", SMTP_RELAY_PASSWORD: "relay secret" } }),
    launchChromium(),
  ]);
  ({ context, page } = await newPhone(browser, server.url));
  const me = person("Mira");
  handle = me.handle;
  await signUp(page, me);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await relay?.stop();
  await new Promise((r) => pictures?.close(r));
});

function incoming(): string {
  return crlf([
    "From: Bob Builder <bob@example.net>", `To: ${handle}@${DOMAIN}`, "Subject: The plans for Saturday", `Date: ${new Date().toUTCString()}`, "Message-ID: <plans-1@example.net>",
    'Content-Type: multipart/mixed; boundary="b"', "",
    "--b", 'Content-Type: multipart/alternative; boundary="a"', "",
    "--a", "Content-Type: text/plain; charset=utf-8", "", "Here is the route. Meet at 10.",
    "--a", "Content-Type: text/html; charset=utf-8", "", `<p>Here is the <b>route</b>. Meet at 10.</p><img src="${pictureUrl}" alt="tracking pixel">`,
    "--a--",
    "--b", "Content-Type: application/pdf", 'Content-Disposition: attachment; filename="route.pdf"', "Content-Transfer-Encoding: base64", "", Buffer.from(pdf).toString("base64"),
    "--b--", "",
  ]);
}

const frameText = (p: Page) => p.frameLocator("iframe.mail-frame").locator("body").innerText();

describe("the Mail tab", () => {
  it("shows a mail the moment it arrives, unread, in an accessible list", async () => {
    await page.locator('nav.tabbar a:has-text("Mail")').click();
    await page.locator("#mail-title").waitFor();
    await page.locator(".empty h2").waitFor();
    expect((await deliverLocal(server.url, "bob@example.net", `${handle}@${DOMAIN}`, incoming())).status).toBe(200);
    const row = page.locator("a.mail-row.unread", { hasText: "The plans for Saturday" });
    await row.waitFor({ timeout: 10_000 });
    expect(await page.locator("nav.tabbar a:has-text('Mail') .badge").textContent()).toBe("1");
    await checkScreen(page, "mail-list", () => row.waitFor());
  });

  it("reads it with the remote picture blocked until asked for, and downloads its attachment", async () => {
    await page.locator("a.mail-row", { hasText: "The plans for Saturday" }).click();
    await page.locator("#mail-subject", { hasText: "The plans for Saturday" }).waitFor();
    await expect.poll(() => frameText(page)).toContain("Meet at 10.");
    await page.getByText("Pictures from the internet are hidden (1)").waitFor();
    await checkScreen(page, "mail-read", () => page.locator("iframe.mail-frame").waitFor());
    expect(pictureHits).toEqual([]); // nothing told the sender it was opened
    // Read now, here and in the list.
    await expect.poll(() => page.evaluate(() => fetch("/api/mail?limit=5").then((r) => r.json() as Promise<{ mails: { read: boolean }[] }>).then((b) => b.mails[0]!.read))).toBe(true);

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a[data-attachment='route.pdf']").click()]);
    expect(download.suggestedFilename()).toBe("route.pdf");
    expect(readFileSync((await download.path())!, "utf8")).toBe(pdf);

    await page.locator("[data-show-images]").click();
    await expect.poll(() => pictureHits.length, { timeout: 10_000 }).toBe(1);
    expect(pictureHits[0]).toBe("/track.png?who=reader");
  });

  it("replies, quoting the mail, and the reply reaches the SMTP server in its thread", async () => {
    await page.locator("[data-reply]").click();
    await page.locator("#compose-title", { hasText: "Reply" }).waitFor();
    expect(await page.inputValue("#mail-to")).toBe("bob@example.net");
    expect(await page.inputValue("#mail-subject-input")).toBe("Re: The plans for Saturday");
    expect(await page.inputValue("#mail-text")).toContain("> Here is the route. Meet at 10.");
    await checkScreen(page, "mail-compose", () => page.locator("#mail-text").waitFor());
    await page.locator("#mail-text").press("Control+Home");
    await page.locator("#mail-text").pressSequentially("See you there!");
    await page.locator("[data-send]").click();
    const got = await relay.waitFor((m) => m.parsed.subject === "Re: The plans for Saturday", 20_000);
    expect(got.envelope).toEqual({ from: `${handle}@${DOMAIN}`, to: ["bob@example.net"] });
    expect(got.parsed.text).toMatch(/^See you there!\n\nOn .*, Bob Builder wrote:\n> Here is the route\. Meet at 10\./);
    expect(got.parsed.headers.find((h) => h.key === "in-reply-to")?.value).toBe("<plans-1@example.net>");
    // Sent: back to the list, nothing left in the outbox.
    await page.locator("#mail-title").waitFor({ timeout: 10_000 });
    expect(await page.locator("[data-draft]").count()).toBe(0);
  });

  it("keeps the draft and says why when the send fails, and sends it again once fixed", async () => {
    relayUsers.relay = "rotated"; // the relay no longer takes the server's password
    try {
      await page.locator("[data-compose]").click();
      await page.fill("#mail-to", "carol@example.org");
      await page.fill("#mail-subject-input", "Kept when it fails");
      await page.fill("#mail-text", "This draft must survive a refusal.");
      await page.locator("[data-send]").click();
      const error = page.locator("[data-send-error]");
      await error.waitFor({ timeout: 20_000 });
      expect(await error.textContent()).toBe("Not sent: This server can't send mail from your Unibox address. Your draft is kept.");
      expect(await page.inputValue("#mail-text")).toBe("This draft must survive a refusal.");
      await checkScreen(page, "mail-compose-failed", () => error.waitFor());
    } finally {
      relayUsers.relay = "relay secret";
    }
    await page.locator("[data-send]", { hasText: "Send again" }).click();
    await relay.waitFor((m) => m.parsed.subject === "Kept when it fails", 20_000);
    await page.locator("#mail-title").waitFor({ timeout: 10_000 });
  });

  it("sends a draft written and sent while offline once the phone is back", async () => {
    await page.locator("[data-compose]").click();
    await page.fill("#mail-to", "dave@example.org");
    await page.fill("#mail-subject-input", "Written offline");
    await page.fill("#mail-text", "Sent from the tunnel.");
    await context.setOffline(true);
    await page.locator(".net-banner").waitFor({ timeout: 15_000 });
    await page.locator("[data-send]").click();
    await page.locator("form[data-state=sending]").waitFor();
    // Still only a draft on the phone, also after leaving the screen.
    await page.locator("a[href='/mail']").first().click();
    await page.locator("[data-draft][data-state=sending]").waitFor();
    expect(relay.received.some((m) => m.parsed.subject === "Written offline")).toBe(false);
    await context.setOffline(false);
    await waitConnected(page);
    await relay.waitFor((m) => m.parsed.subject === "Written offline", 20_000);
    await page.locator("[data-draft]").waitFor({ state: "detached", timeout: 10_000 });
    expect(relay.received.filter((m) => m.parsed.subject === "Written offline")).toHaveLength(1);
  });
});
