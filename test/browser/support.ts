// Real Chromium (Debian's /usr/bin/chromium through playwright-core) at phone size,
// against the built client served by a real `wrangler dev`.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { codeMark, smsCode } from "../support/sms";

export const PHONE = { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, locale: "en-US" } as const;

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

export async function newPhone(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...PHONE, baseURL });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[browser] page error: ${err.message}`));
  return { context, page };
}

/**
 * Reloads a page whose context is offline (`context.setOffline(true)`), and returns how to
 * bring it back online. Debian's Chromium 150 keeps the network cut across the reload but
 * gives the new document `navigator.onLine === true` and no `offline` event, which no
 * phone's OS does, so the app would show "Connecting…" instead of "offline". A second
 * DevTools session's network emulation tells the new document again; `online` lifts both.
 */
export async function reloadOffline(page: Page): Promise<{ online: () => Promise<void> }> {
  await page.reload();
  const cdp = await page.context().newCDPSession(page);
  const emulate = (offline: boolean) => cdp.send("Network.emulateNetworkConditions", { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await emulate(true);
  return {
    online: async () => {
      await page.context().setOffline(false);
      await emulate(false);
      await cdp.detach();
    },
  };
}

/**
 * Records every frame a page's sockets send and receive (keepalives aside), so a failing
 * test can print what was said: receipt races show up there and nowhere else.
 */
export class SocketTranscript {
  private lines: string[] = [];

  watch(page: Page, name: string): void {
    page.on("websocket", (ws) => {
      this.add(`${name} open ${ws.url()}`);
      ws.on("framesent", (f) => f.payload !== "ping" && this.add(`${name} > ${String(f.payload)}`));
      ws.on("framereceived", (f) => f.payload !== "pong" && this.add(`${name} < ${String(f.payload)}`));
      ws.on("close", () => this.add(`${name} closed`));
    });
  }

  /** The last `n` lines, each cut at 240 characters. */
  tail(n = 80): string {
    return this.lines.slice(-n).map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l)).join("\n");
  }

  private add(line: string): void {
    this.lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  }
}

export type Person = { handle: string; phone: string; displayName: string; password: string };

let n = 0;
export function person(name: string): Person {
  n += 1;
  const tag = `${Date.now() % 100000}${n}`;
  // A national US number (the browser's locale picks region US in the form): 650-2NN-NNNN.
  const line = String((Date.now() * 7 + n * 7919) % 1_000_000).padStart(6, "0");
  return { handle: `${name.toLowerCase()}_${tag}`, phone: `6502${line.slice(0, 2)}${line.slice(2)}`, displayName: name, password: "correct horse battery staple" };
}

/** Signs in through the form (`login`: phone, handle, @handle or address) and waits for the socket. */
export async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.goto("/signin");
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.click("form button[type=submit]");
  await page.locator("#chats-title").waitFor();
  await waitConnected(page);
}

/** Signs up through the form and verifies the number with the code from the server's log, as a person reading the text would. */
export async function signUp(page: Page, p: Person): Promise<void> {
  await page.goto("/signup");
  const base = new URL(page.url()).origin;
  const mark = codeMark(base);
  await page.fill("#handle", p.handle);
  await page.fill("#phone", p.phone);
  await page.fill("#displayName", p.displayName);
  await page.fill("#password", p.password);
  await page.click("form button[type=submit]");
  await page.locator("#code").waitFor();
  await page.fill("#code", await smsCode(base, e164(p), mark));
  await page.locator("#chats-title").waitFor();
  await waitConnected(page);
}

/** The person's number as the server writes it (their national US number, read in region US). */
export const e164 = (p: Person): string => `+1${p.phone.replace(/\D/g, "")}`;

/** The network banner disappears only when the socket has reached `ready`. */
export async function waitConnected(page: Page): Promise<void> {
  await page.locator(".net-banner").waitFor({ state: "detached" });
}

/** Waits until the service worker controls the page, so the app shell is cached for offline. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null && navigator.serviceWorker?.controller !== undefined);
}

/** What the app's IndexedDB `kv` store holds under `key` now (undefined if nothing): for a
 * test that reloads right after an action and must wait until the action's write landed. */
export function storedKv(page: Page, key: string): Promise<unknown> {
  return page.evaluate(
    (k) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("unibox");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const d = open.result;
          const get = d.transaction("kv").objectStore("kv").get(k);
          get.onsuccess = () => (d.close(), resolve(get.result));
          get.onerror = () => (d.close(), reject(get.error));
        };
      }),
    key,
  );
}

export async function tab(page: Page, name: "Chats" | "Contacts" | "Me"): Promise<void> {
  await page.locator(`nav.tabbar a:has-text("${name}")`).click();
}

export async function bubbleTexts(page: Page): Promise<string[]> {
  return page.locator(".bubble .text").allTextContents();
}

// ---- accessibility ----------------------------------------------------------------

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };

/** Runs axe-core (WCAG 2.x A/AA rules) on the page; returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over DevTools rather than added as a <script>: the app's CSP (rightly) refuses inline scripts.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const res = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }, resultTypes: ["violations"] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((x) => ({ target: x.target })) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Every visible interactive element smaller than 44×44 CSS px (WCAG 2.5.5 target size). */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("a[href], button, input:not([type=radio]), select, textarea, [role=button]")]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      // Inline links inside a sentence are exempt (WCAG 2.5.5 "inline" exception).
      .filter(({ el, r }) => (r.height < 44 || r.width < 44) && !(el.tagName === "A" && getComputedStyle(el).display === "inline"))
      .map(({ el, r }) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className} ${Math.round(r.width)}×${Math.round(r.height)}`),
  );
}

// ---- screenshots ----------------------------------------------------------------------

export const SCREENSHOT_DIR = join(new URL("../..", import.meta.url).pathname, "test-results", "screenshots");

export async function shoot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, animations: "disabled" });
  return path;
}

/**
 * Scans and photographs the screen on `page` in light and dark: no serious or critical axe
 * findings in either, and (in light) every touch target at least 44 px.
 */
export async function checkScreen(page: Page, name: string, ready: () => Promise<unknown>): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await ready();
    await shoot(page, `${name}-${scheme}`);
    const violations = await seriousViolations(page);
    expect(violations, `${name} (${scheme}): ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: "light" });
  expect(await smallTargets(page), `${name}: touch targets under 44px`).toEqual([]);
}

