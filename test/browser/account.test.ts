// The account basics of issue 15 on two phones of the same person and a friend's: edit the
// display name, change the password (the other phone is signed out and must use the new
// one), sign out other devices, and take back a friend request. Needs the server routes
// of the issue-15 contracts (PATCH /api/me, POST /api/me/password,
// POST /api/auth/sessions/end-others, DELETE /api/friends/requests/:id).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { PHONE, checkScreen, launchChromium, signIn, tab, waitConnected } from "./support";
import { type Phone, phoneFor } from "./ux-support";

let server: DevServer;
let browser: Browser;
let mei: Phone;
let meiTablet: Page;
let tom: Phone;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  [mei, tom] = await Promise.all([phoneFor(browser, server.url, "Mei"), phoneFor(browser, server.url, "Tom")]);
  meiTablet = await (await browser.newContext({ ...PHONE, baseURL: server.url })).newPage();
  await signIn(meiTablet, mei.s.handle, "chaos password 1");
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const signedOut = (page: Page) => page.locator("h1", { hasText: "Sign in" }).waitFor({ timeout: 30_000 });

describe("account", () => {
  it("renames from Me, and the name is what the server and the other phone say", async () => {
    const { page } = mei;
    await tab(page, "Me");
    await checkScreen(page, "me-account", () => page.locator("#password-title").waitFor());
    await page.fill("#display-name", "Mei Lin");
    await page.getByRole("button", { name: "Save" }).first().click();
    await page.getByRole("status").filter({ hasText: "Name saved." }).waitFor();
    await page.locator(".profile h2", { hasText: "Mei Lin" }).waitFor();
    expect((await call(server.url, "/api/me", { token: mei.s.token })).user.displayName).toBe("Mei Lin");
    await meiTablet.goto("/me");
    await meiTablet.locator(".profile h2", { hasText: "Mei Lin" }).waitFor();
  });

  it("changes the password: a wrong current one is refused in a sentence; the other phone is signed out and needs the new one", async () => {
    const { page } = mei;
    await page.fill("#password-current", "not my password");
    await page.fill("#password-next", "a brand new passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.locator("#password-current-error").textContent()).toBe("That isn't your current password.");
    await page.fill("#password-current", "chaos password 1");
    await page.getByRole("button", { name: "Change password" }).click();
    // The others: the tablet, and the session the test signed up with over the API.
    await page.getByRole("status").filter({ hasText: "Password changed. Other devices signed out: 2." }).waitFor();
    await signedOut(meiTablet);
    expect((await fetch(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${mei.s.token}` } })).status).toBe(401);
    await meiTablet.fill("#login", mei.s.handle);
    await meiTablet.fill("#password", "chaos password 1");
    await meiTablet.click("form button[type=submit]");
    await meiTablet.getByRole("alert").first().waitFor();
    await signIn(meiTablet, mei.s.handle, "a brand new passphrase");
    // This phone stayed signed in.
    await page.reload();
    await waitConnected(page);
    await page.locator("#me-title").waitFor();
  });

  it("signs out the other devices and keeps this one", async () => {
    const { page } = mei;
    await page.getByRole("button", { name: "Sign out other devices" }).click();
    await page.getByRole("status").filter({ hasText: "Other devices signed out: 1." }).waitFor();
    await signedOut(meiTablet);
    await page.reload();
    await waitConnected(page);
  });

  it("takes back a friend request, and the other side no longer sees it", async () => {
    const { page } = mei;
    await tab(page, "Contacts");
    await page.fill("#add-to", `@${tom.s.handle}`);
    await page.getByRole("button", { name: "Send request" }).click();
    await page.getByRole("status").filter({ hasText: "Request sent to Tom" }).waitFor();
    await tab(tom.page, "Contacts");
    await tom.page.locator("li.request", { hasText: "Mei Lin" }).waitFor();
    await page.getByRole("button", { name: "Cancel the request to Tom" }).click();
    await expect.poll(() => page.locator("[data-outgoing]").count()).toBe(0);
    // The status line does not go on saying "sent" about a request that is gone.
    expect(await page.getByText("Request sent to Tom").count()).toBe(0);
    await tom.page.reload();
    await waitConnected(tom.page);
    await expect.poll(() => tom.page.locator("li.request").count()).toBe(0);
  });
});
