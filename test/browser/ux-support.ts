// Helpers for the issue-15 browser tests: gestures a phone makes (a held finger), phones
// signed in as users made over HTTP, and what the screen says.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { type Session, signUp as register } from "../chaos/http";
import { PHONE, signIn } from "./support";

export type Phone = { context: BrowserContext; page: Page; s: Session; name: string };

/** A user made over HTTP and a phone (360×740, touch) signed in as them through the form. */
export async function phoneFor(browser: Browser, base: string, name: string, options: Parameters<Browser["newContext"]>[0] = {}): Promise<Phone> {
  const s = await register(base, name);
  const context = await browser.newContext({ ...PHONE, baseURL: base, ...options });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[browser ${name}] page error: ${err.message}`));
  await signIn(page, s.handle, "chaos password 1");
  return { context, page, s, name };
}

/**
 * Holds a finger on the element for `ms` and lifts it, as real touch input (DevTools'
 * Input.dispatchTouchEvent): the page sees pointer and touch events, and Chromium's own
 * long-press gesture (contextmenu) if it makes one.
 */
export async function longPress(page: Page, target: Locator, ms = 800): Promise<void> {
  const box = (await target.boundingBox())!;
  const point = { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 20) };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
  await page.waitForTimeout(ms);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

/** Opens the 1:1 chat with `friend` from Contacts. */
export async function openChatWith(page: Page, friend: Session): Promise<void> {
  await page.goto("/contacts");
  await page.locator(`a[data-friend="${friend.handle}"]`).click();
  await page.locator("#composer").waitFor();
}

/** The computed colour of the first element the locator finds. */
export const colourOf = (l: Locator) => l.first().evaluate((el) => getComputedStyle(el).color);
