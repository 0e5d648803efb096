// Two people on two phones: sign up, befriend with a verification message, chat both
// ways with live receipts, and one of them goes offline, writes, reloads, comes back —
// and the other gets exactly those messages, once each, in order.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { bubbleTexts, launchChromium, newPhone, type Person, person, reloadOffline, signIn, signUp, SocketTranscript, tab, waitConnected, waitForServiceWorker } from "./support";

let server: DevServer;
let browser: Browser;
let alice: { context: BrowserContext; page: Page; who: Person };
let bob: { context: BrowserContext; page: Page; who: Person };

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  alice = { ...(await newPhone(browser, server.url)), who: person("Alice") };
  bob = { ...(await newPhone(browser, server.url)), who: person("Bob") };
  transcript.watch(alice.page, "alice");
  transcript.watch(bob.page, "bob");
});

const transcript = new SocketTranscript();
beforeEach(() => onTestFailed(() => console.log(`[chat] the last socket frames:\n${transcript.tail()}`)));

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#composer", text);
  await page.getByRole("button", { name: "Send" }).click();
}

const stateOf = (page: Page, text: string) => page.locator(".bubble.own", { hasText: text }).last().getAttribute("data-state");

describe("two phones", () => {
  it("sign up, befriend with a verification message, and chat both ways with live ticks", async () => {
    await Promise.all([signUp(alice.page, alice.who), signUp(bob.page, bob.who)]);

    // Alice asks, with a message Bob must see before accepting.
    await tab(alice.page, "Contacts");
    await alice.page.fill("#add-to", `@${bob.who.handle}`);
    await alice.page.fill("#add-message", "Hi Bob, it's Alice from the book club");
    await alice.page.getByRole("button", { name: "Send request" }).click();
    await alice.page.getByRole("status").filter({ hasText: "Request sent" }).waitFor();
    await alice.page.locator("#outgoing-title").waitFor();

    // Bob sees it live (friend.request event), with the message, and a badge on the tab.
    await bob.page.locator("nav.tabbar a:has-text('Contacts') .badge").waitFor();
    await tab(bob.page, "Contacts");
    const request = bob.page.locator("li.request", { hasText: alice.who.displayName });
    await expect.poll(() => request.locator(".request-message").textContent()).toContain("book club");
    await request.getByRole("button", { name: "Accept" }).click();
    await bob.page.locator(`a[data-friend="${alice.who.handle}"]`).waitFor();

    // Alice's outgoing request turns into a friend live (friend.accepted event).
    const bobRow = alice.page.locator(`a[data-friend="${bob.who.handle}"]`);
    await bobRow.waitFor();
    await expect.poll(() => alice.page.locator("#outgoing-title").count()).toBe(0);
    await bobRow.click();
    await alice.page.locator("#composer").waitFor();

    // Bob stays on his chat list: the message is delivered (his device acks) but not read.
    await tab(bob.page, "Chats");
    await send(alice.page, "Hello Bob!");
    await expect.poll(() => stateOf(alice.page, "Hello Bob!"), { timeout: 15_000 }).toBe("delivered");
    const bobChat = bob.page.locator("a.row[data-conv]", { hasText: alice.who.displayName });
    await expect.poll(() => bobChat.locator(".badge").textContent()).toBe("1");
    await expect.poll(() => bobChat.locator(".preview").textContent()).toBe("Hello Bob!");

    // Bob opens it: read flows back and Alice's ticks turn to read without a reload.
    await bobChat.click();
    await bob.page.locator(".bubble.theirs", { hasText: "Hello Bob!" }).waitFor();
    await expect.poll(() => stateOf(alice.page, "Hello Bob!"), { timeout: 15_000 }).toBe("read");

    // And back the other way, while both are looking: read at once.
    await send(bob.page, "Hi Alice 👋");
    await alice.page.locator(".bubble.theirs", { hasText: "Hi Alice 👋" }).waitFor();
    await expect.poll(() => stateOf(bob.page, "Hi Alice 👋"), { timeout: 15_000 }).toBe("read");
    expect(await bubbleTexts(alice.page)).toEqual(["Hello Bob!", "Hi Alice 👋"]);
    expect(await bubbleTexts(bob.page)).toEqual(["Hello Bob!", "Hi Alice 👋"]);
  });

  it("messages written offline survive a reload and arrive exactly once, in order, when back online", async () => {
    const { page, context } = bob;
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await page.locator(".net-banner[data-connection=offline]").waitFor();

    const offline = ["offline one", "offline two", "offline three"];
    for (const text of offline) {
      await send(page, text);
      await expect.poll(() => stateOf(page, text)).toBe("sending");
    }

    // Reload with no network: the service worker serves the shell, IndexedDB the rest.
    const reloaded = await reloadOffline(page);
    await page.locator(".net-banner[data-connection=offline]").waitFor();
    for (const text of offline) await expect.poll(() => stateOf(page, text)).toBe("sending");
    expect(await bubbleTexts(page)).toEqual(["Hello Bob!", "Hi Alice 👋", ...offline]);

    await reloaded.online();
    await waitConnected(page);
    for (const text of offline) await expect.poll(() => stateOf(page, text), { timeout: 15_000 }).not.toBe("sending");

    // Alice, who kept the conversation open, gets exactly those three, once each, in order, and reads them.
    await expect.poll(() => bubbleTexts(alice.page), { timeout: 15_000 }).toEqual(["Hello Bob!", "Hi Alice 👋", ...offline]);
    for (const text of offline) await expect.poll(() => stateOf(page, text), { timeout: 15_000 }).toBe("read");

    // A reload on Alice's side shows the same history from the server: nothing doubled.
    await alice.page.reload();
    await waitConnected(alice.page);
    await expect.poll(() => bubbleTexts(alice.page)).toEqual(["Hello Bob!", "Hi Alice 👋", ...offline]);
  });

  it("a new phone signs in and finds the chat and its history, without replaying the log", async () => {
    const { context, page } = await newPhone(browser, server.url);
    const hellos: unknown[] = [];
    page.on("websocket", (ws) => ws.on("framesent", (f) => String(f.payload).startsWith('{"t":"hello"') && hellos.push(JSON.parse(String(f.payload)))));
    transcript.watch(page, "alice-new");
    await signIn(page, `@${alice.who.handle}`, alice.who.password);
    expect(hellos[0]).toMatchObject({ t: "hello", fresh: true });

    // The list comes over HTTP: Bob's chat, his last message, nothing unread (Alice read it all).
    const chat = page.locator("a.row[data-conv]", { hasText: bob.who.displayName });
    await expect.poll(() => chat.locator(".preview").textContent()).toBe("offline three");
    expect(await chat.locator(".badge").count()).toBe(0);
    await chat.click();
    await expect.poll(() => bubbleTexts(page)).toEqual(["Hello Bob!", "Hi Alice 👋", "offline one", "offline two", "offline three"]);
    await expect.poll(() => stateOf(page, "Hello Bob!")).toBe("read");

    // And it is live from there: Bob writes, the new phone shows it once and reads it.
    await send(bob.page, "welcome to the new phone");
    await expect.poll(() => bubbleTexts(page)).toEqual(["Hello Bob!", "Hi Alice 👋", "offline one", "offline two", "offline three", "welcome to the new phone"]);
    await expect.poll(() => stateOf(bob.page, "welcome to the new phone"), { timeout: 15_000 }).toBe("read");
    await context.close();
  });
});
