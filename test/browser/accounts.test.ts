// A phone-sized Chromium binds an XMPP account on a real local Prosody through Me → Accounts
// and chats with an XMPP peer both ways, the badge and the account's state visible; with a
// Matrix account (spec fake) and a Telegram bot (Bot API fake) bound too, the one chat list
// shows the three networks' conversations with their badges, and the filters work.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, signUp as apiSignUp, type Session } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { FakeMatrix } from "../support/fakes/matrix";
import { FakeTelegram } from "../support/fakes/telegram";
import { type Prosody, startProsody } from "../support/peers/prosody";
import { type XmppPeer, xmppPeer } from "../support/peers/xmpp-peer";
import { checkScreen, launchChromium, newPhone, signIn, tab } from "./support";

let server: DevServer;
let browser: Browser;
let prosody: Prosody;
let hs: FakeMatrix;
let tg: FakeTelegram;
let bob: XmppPeer;
let phone: { context: BrowserContext; page: Page };
let me: Session;
let tgToken: string;
let room: string;

beforeAll(async () => {
  prosody = await startProsody();
  await prosody.register("alice", "alice password");
  await prosody.register("bob", "bob password");
  bob = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "bob@localhost", password: "bob password" });
  await bob.approveAll();
  const other = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "alice@localhost/laptop", password: "alice password", autoReceipts: false });
  await other.approveAll();
  await other.subscribe("bob@localhost");
  await bob.waitForPresence((p) => p.type === "subscribed" && p.from.startsWith("alice@localhost"));
  await other.stop();

  hs = await new FakeMatrix({ serverName: "matrix.test" }).start();
  hs.addUser("alice", "alice password", "Alice");
  const mbob = hs.addUser("bob", "bob password", "Bob M").userId;
  room = hs.createRoom({ creator: mbob, members: ["@alice:matrix.test"], direct: true });
  tg = await new FakeTelegram({ allowLoopbackHttp: true, webhookRetryMs: 200 }).start();
  tgToken = tg.addBot("unibox_browser_bot").token;

  [server, browser] = await Promise.all([startDevServer({ vars: { TELEGRAM_API_ROOT: tg.apiRoot } }), launchChromium()]);
  me = await apiSignUp(server.url, "accphone");
  phone = await newPhone(browser, server.url);
});

afterAll(async () => {
  await browser?.close();
  await bob?.stop();
  await server?.stop();
  await Promise.all([prosody?.stop(), hs?.stop(), tg?.stop()]);
});

describe("bound accounts on the phone", () => {
  it("binds XMPP through Me → Accounts, shows it connected, and chats with an XMPP peer both ways", async () => {
    const { page } = phone;
    await signIn(page, me.handle, "chaos password 1");
    await tab(page, "Me");
    await page.getByRole("link", { name: /Accounts/ }).click();
    await page.getByRole("button", { name: "Add account" }).click();
    await page.getByLabel("XMPP").check();
    await page.fill("#cred-xmpp-jid", "alice@localhost");
    await page.fill("#cred-xmpp-password", "wrong password");
    await page.fill("#cred-xmpp-websocketUrl", prosody.wsUrl);
    await checkScreen(page, "account-add-xmpp", () => page.locator("#cred-xmpp-jid").waitFor());
    // A wrong password: a sentence the user can read, and nothing bound.
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("alert").filter({ hasText: "didn't accept that login" }).waitFor();
    await page.fill("#cred-xmpp-password", "alice password");
    await page.fill("#account-label", "Jabber");
    await page.getByRole("button", { name: "Connect" }).click();
    const card = page.locator("li.account", { hasText: "Jabber" });
    await card.locator('.account-state:has-text("Connected")').waitFor({ timeout: 30_000 });
    await checkScreen(page, "accounts", () => card.waitFor());

    await bob.send("alice@localhost", "hi from xmpp");
    await tab(page, "Chats");
    const row = page.locator("a.row", { hasText: "hi from xmpp" });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator(".source-badge").first().textContent()).toBe("XMPP");
    await row.click();
    await page.locator(".bubble.theirs", { hasText: "hi from xmpp" }).waitFor();
    expect(await page.locator(".conv-title").textContent()).toContain("Jabber");
    await page.fill("#composer", "hello from the phone");
    await page.getByRole("button", { name: "Send" }).click();
    await bob.waitFor((m) => m.body === "hello from the phone", 30_000);
    // Bob's client answers the receipt request: the bubble goes to delivered.
    await expect.poll(() => page.locator(".bubble.own", { hasText: "hello from the phone" }).getAttribute("data-state"), { timeout: 30_000 }).toBe("delivered");
    await checkScreen(page, "conversation-xmpp", () => page.locator(".bubble.own").waitFor());
  });

  it("lists XMPP, Matrix and Telegram conversations together, with badges and filters", async () => {
    const { page } = phone;
    const matrix = await call(server.url, "/api/accounts", { token: me.token, json: { network: "matrix", credentials: { homeserver: hs.url, user: "alice", password: "alice password" }, label: "Matrix home" } });
    const telegram = await call(server.url, "/api/accounts", { token: me.token, json: { network: "telegram", credentials: { token: tgToken }, label: "Shop bot" } });
    await expect.poll(async () => (await call(server.url, "/api/accounts", { token: me.token })).accounts.find((a: { id: string }) => a.id === matrix.account.id)?.state, { timeout: 30_000 }).toBe("connected");
    hs.say("@bob:matrix.test", room, "hi from matrix");
    tg.userSays(tgToken, { chat: { type: "private", id: 777 }, from: { id: 777, first_name: "Dana" }, text: "hi from telegram" });
    // Back from the XMPP chat (no tab bar inside a conversation) to the list.
    await page.getByRole("link", { name: "Back to chats" }).click();
    for (const text of ["hi from matrix", "hi from telegram", "hello from the phone"]) await page.locator("a.row", { hasText: text }).waitFor({ timeout: 30_000 });
    const badge = (text: string) => page.locator("a.row", { hasText: text }).locator(".source-badge").first().textContent();
    expect(await badge("hi from matrix")).toBe("Matrix");
    expect(await badge("hi from telegram")).toBe("TG");
    expect(await badge("hello from the phone")).toBe("XMPP");

    const chips = page.getByRole("group", { name: "Filter by source" }).getByRole("button");
    expect(await chips.allTextContents()).toEqual(["All", "Unibox", "Jabber", "Matrix home", "Shop bot"]);
    await chips.filter({ hasText: "Matrix home" }).click();
    await expect.poll(() => page.locator("a.row[data-conv]").count()).toBe(1);
    expect(await page.locator("a.row[data-conv]").textContent()).toContain("hi from matrix");
    await chips.filter({ hasText: "All" }).click();
    await expect.poll(() => page.locator("a.row[data-conv]").count()).toBeGreaterThanOrEqual(3);
    await checkScreen(page, "chats-three-networks", () => page.locator("a.row[data-conv]").first().waitFor());
    expect(telegram.account.network).toBe("telegram");
  });
});
