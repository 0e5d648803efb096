// Sign-up to a verified number in a real Chromium against a real `wrangler dev`, the code
// read from the server's log as a developer would: the form's own checks, a wrong code,
// the resend countdown, change number (searching the country list), a number proved on
// another phone (the first phone is told at once), and no Content-Security-Policy
// violation anywhere on the way. Screenshots and axe for the new screens.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { codeMark, smsCode } from "../support/sms";
import { checkScreen, e164, launchChromium, newPhone, person, signUp, waitConnected } from "./support";

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A phone that records every CSP violation its pages report. */
async function phone(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const { context, page } = await newPhone(browser, server.url);
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`));
  });
  return { page, violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

const meOf = (page: Page) => page.evaluate(async () => ((await (await fetch("/api/me")).json()) as { user: { phone: string; phoneVerified: boolean } }).user);

describe("a verified number, from the sign-up form", () => {
  it("checks the form, sends a code, takes a wrong one with tries left, counts down the resend, and verifies", async () => {
    const { page, violations } = await phone();
    const p = person("Vera");
    const response = await page.goto("/signup");
    // The shell carries its policy (client/public/_headers).
    expect(response!.headers()["content-security-policy"]).toMatch(/script-src 'self' 'sha256-/);
    await page.click("form button[type=submit]");
    await page.locator("#phone-error").waitFor();
    await checkScreen(page, "sign-up-errors", () => page.locator("#handle-error").waitFor());
    expect(await page.locator("#password-error").textContent()).toBe("Use at least 10 characters.");
    await page.fill("#password", p.password);
    expect(await page.locator("#password-error").count()).toBe(0);

    const mark = codeMark(server.url);
    await page.fill("#handle", p.handle);
    await page.fill("#phone", p.phone);
    await page.fill("#displayName", p.displayName);
    await page.click("form button[type=submit]");
    await page.locator("#code").waitFor();
    const code = await smsCode(server.url, e164(p), mark);
    expect(await page.locator("#verify-where").textContent()).toMatch(/^We sent a 6-digit code to \+1 650 /);
    expect(await page.getAttribute("#code", "autocomplete")).toBe("one-time-code");
    expect(await page.locator("button", { hasText: /^New code in \d+ s$/ }).isDisabled()).toBe(true);
    await checkScreen(page, "verify", () => page.locator("#code").waitFor());

    const wrong = code === "000000" ? "111111" : "000000";
    await page.fill("#code", wrong);
    await page.getByRole("alert").filter({ hasText: "That code isn't right. Tries left: 4." }).waitFor();
    expect(await meOf(page)).toMatchObject({ phoneVerified: false });
    await page.fill("#code", code);
    await page.locator("#chats-title").waitFor();
    await waitConnected(page);
    expect(await meOf(page)).toEqual(expect.objectContaining({ phone: e164(p), phoneVerified: true }));
    expect(await page.locator(".verify-notice").count()).toBe(0);
    expect(await violations()).toEqual([]);
  });

  it("changes the number, finding the country by searching", async () => {
    const { page, violations } = await phone();
    const p = person("Wolf");
    await page.goto("/signup");
    await page.fill("#handle", p.handle);
    await page.fill("#phone", p.phone);
    await page.fill("#displayName", p.displayName);
    await page.fill("#password", p.password);
    await page.click("form button[type=submit]");
    await page.locator("#code").waitFor();
    await page.getByRole("button", { name: "Change number" }).click();
    await page.fill("#country-search", "germ");
    expect(await page.inputValue("#region")).toBe("DE");
    expect(await page.locator("#phone-prefix").textContent()).toBe("+49");
    await checkScreen(page, "verify-change-number", () => page.locator("#country-search").waitFor());
    const german = `30 ${String(Date.now() % 10_000_000).padStart(7, "0")}`;
    const mark = codeMark(server.url);
    await page.fill("#phone", german);
    await page.getByRole("button", { name: "Send code to this number" }).click();
    await page.locator("#verify-where", { hasText: "+49 30" }).waitFor();
    await page.fill("#code", await smsCode(server.url, `+49${german.replace(/\D/g, "")}`, mark));
    await page.locator("#chats-title").waitFor();
    expect(await meOf(page)).toMatchObject({ phone: `+49${german.replace(/\D/g, "")}`, phoneVerified: true });
    expect(await violations()).toEqual([]);
  });

  it("moves a number to whoever proves it; the phone that had it is told at once", async () => {
    const first = await phone();
    const p = person("Old");
    await signUp(first.page, p);
    // The number is recycled: someone new signs up with it and proves it.
    const second = await phone();
    await signUp(second.page, { ...person("New"), phone: p.phone });
    await first.page.locator(".verify-notice").waitFor();
    expect(await first.page.locator(".verify-notice").textContent()).toContain("Your number isn't verified");
    expect(await meOf(first.page)).toMatchObject({ phoneVerified: false });
    expect(await meOf(second.page)).toMatchObject({ phone: e164(p), phoneVerified: true });
    await checkScreen(first.page, "chats-number-moved", () => first.page.locator(".verify-notice").waitFor());
  });
});
