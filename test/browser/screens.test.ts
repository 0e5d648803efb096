// Every screen at 360×740 in light and dark: a screenshot artifact (test-results/screenshots,
// not committed), an axe-core scan with no serious or critical violations, and touch
// targets of at least 44 px. Also: the UI switches to Simplified Chinese.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { checkScreen, launchChromium, newPhone, person, seriousViolations, shoot, signUp, smallTargets, tab, waitConnected } from "./support";

let server: DevServer;
let browser: Browser;
let page: Page;
let friendPage: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  page = (await newPhone(browser, server.url)).page;
  friendPage = (await newPhone(browser, server.url)).page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const check = (name: string, ready: () => Promise<unknown>) => checkScreen(page, name, ready);

describe("screens", () => {
  it("sign in and sign up, with server errors next to their field", async () => {
    await page.goto("/");
    await check("sign-in", () => page.locator("h1", { hasText: "Sign in" }).waitFor());
    await page.fill("#login", "nobody_here");
    await page.fill("#password", "not a real password");
    await page.click("form button[type=submit]");
    await page.getByRole("alert").filter({ hasText: "That login and password don't match." }).waitFor();

    await page.goto("/signup");
    await check("sign-up", () => page.locator("h1", { hasText: "Create account" }).waitFor());
    // A taken handle is the server's call; its answer lands under the handle field.
    const taken = person("Taken");
    await signUp(friendPage, taken);
    await page.fill("#handle", taken.handle);
    await page.fill("#phone", person("Other").phone);
    await page.fill("#displayName", "Someone");
    await page.fill("#password", "long enough password");
    await page.click("form button[type=submit]");
    await expect.poll(() => page.locator("#handle-error").textContent()).toBe("That handle is taken. Try another.");
    expect(await page.getAttribute("#handle", "aria-invalid")).toBe("true");
  });

  it("chats, conversation, contacts and me, with content", async () => {
    const me = person("Mei");
    await signUp(page, me);
    await check("chats-empty", () => page.locator(".empty h2").waitFor());

    // A friend with a request, a chat and a message, so every screen has real content.
    await tab(friendPage, "Contacts");
    await friendPage.fill("#add-to", `@${me.handle}`);
    await friendPage.fill("#add-message", "We met at the conference");
    await friendPage.getByRole("button", { name: "Send request" }).click();
    await tab(page, "Contacts");
    await check("contacts-request", () => page.locator("li.request").waitFor());
    await page.locator("li.request").getByRole("button", { name: "Accept" }).click();
    await page.locator("a[data-friend]").waitFor();
    await check("contacts", () => page.locator("a[data-friend]").waitFor());

    await friendPage.locator("a[data-friend]").waitFor();
    await friendPage.locator("a[data-friend]").click();
    await friendPage.fill("#composer", "Welcome to Unibox! 你好");
    await friendPage.getByRole("button", { name: "Send" }).click();

    await tab(page, "Chats");
    await check("chats", () => page.locator("a.row[data-conv] .badge").waitFor());
    await page.locator("a.row[data-conv]").click();
    await page.fill("#composer", "Thanks, glad to be here");
    await page.getByRole("button", { name: "Send" }).click();
    await check("conversation", () => page.locator(".bubble.own[data-state=read]").waitFor());

    await page.goto("/me");
    await waitConnected(page);
    await check("me", () => page.locator("#me-title").waitFor());
  });

  it("switches theme and language from Me, and remembers them", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("radio", { name: "Dark" }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.selectOption("#language", "zh-CN");
    await page.locator("h1", { hasText: "我" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("zh-CN");
    await page.reload();
    await page.locator("nav.tabbar a", { hasText: "聊天" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await shoot(page, "me-zh-dark");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("radio", { name: "跟随系统" }).check();
    await page.selectOption("#language", "en");
    await page.locator("h1", { hasText: "Me" }).waitFor();
  });

  it("finds a friend from the phone's contacts and adds them", async () => {
    // Headless desktop Chromium has no Contact Picker (Chrome on Android only), so this stub
    // of the W3C API (navigator.contacts.select → [{name, tel}]) stands in for it; the
    // lookup and the friend request go to the real server.
    const known = person("Tess");
    const seeker = (await newPhone(browser, server.url)).page;
    const knownPage = (await newPhone(browser, server.url)).page;
    await signUp(knownPage, known);
    const tel = `(${known.phone.slice(0, 3)}) ${known.phone.slice(3, 6)}-${known.phone.slice(6)}`;
    await seeker.addInitScript((contacts) => {
      Object.defineProperty(navigator, "contacts", { value: { select: async () => contacts } });
      Object.defineProperty(window, "ContactsManager", { value: function ContactsManager() {} });
    }, [{ name: ["Tess from work"], tel: [tel, tel] }, { name: ["Not on Unibox"], tel: ["+1 212 555 0100"] }]);
    await signUp(seeker, person("Sam"));
    await tab(seeker, "Contacts");
    await seeker.getByRole("button", { name: "Choose contacts" }).click();
    const row = seeker.locator(`li[data-match="${known.handle}"]`);
    await row.getByText("Tess from work").waitFor();
    expect(await seeker.locator("li[data-match]").count()).toBe(1);
    await shoot(seeker, "contacts-discover");
    expect(await seriousViolations(seeker)).toEqual([]);
    expect(await smallTargets(seeker)).toEqual([]);
    await row.getByRole("button", { name: "Add Tess from work" }).click();
    await row.getByText("Request sent").waitFor();
    await tab(knownPage, "Contacts");
    await knownPage.locator("li.request", { hasText: "Sam" }).waitFor();
  });
});
