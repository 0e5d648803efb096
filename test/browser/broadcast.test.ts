// Issue 14 on the phone, in a real Chromium against a real `wrangler dev`: a broadcast from the
// picker to three networks at once (a Unibox friend, Bob on XMPP through a real Prosody, Carol
// on the Matrix spec fake), and the per-recipient card following each copy. Carol's room had
// just been left, so Matrix refuses once: the card shows why, she invites the account back, and
// the card's Retry sends it. Also: the screens pass axe in light and dark with 44 px targets,
// and a held press on the sent bubble offers its delivery timeline in the message menu.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, openPhone, type Phone } from "../support/accounts";
import { BOB, type Networks, startNetworks } from "../e2e/inbox/networks";
import { checkScreen, launchChromium, newPhone, signIn, SocketTranscript } from "./support";
import { longPress } from "./ux-support";

let net: Networks & { phone: Phone };
let browser: Browser;
let page: Page;
const transcript = new SocketTranscript();
const TEXT = "Picnic on Sunday at the lake?";

beforeAll(async () => {
  [net, browser] = await Promise.all([startNetworks("bb"), launchChromium()]);
  net.phone.close();
  // The friend's phone is on: it acks what arrives, so the card can show "delivered".
  friendPhone = await openPhone(net.server.url, net.friends[0]);
  page = (await newPhone(browser, net.server.url)).page;
  transcript.watch(page, "phone");
  await signIn(page, net.me.handle, "chaos password 1");
});

afterAll(async () => {
  friendPhone?.close();
  await browser?.close();
  await net?.stop();
});

const recipient = (network: "unibox" | "xmpp" | "matrix") => page.locator(`.recipient[data-network="${network}"]`);
let friendPhone: Phone;

describe("broadcast on the phone", () => {
  it("picks a friend, an XMPP contact and a Matrix contact, sends once, and the card follows each", async () => {
    try {
      const { hs, room, carol, xmpp, matrix, friends, bob } = net;
      const contacts = async () => (await call(net.server.url, `/api/accounts/${matrix}/contacts`, { token: net.me.token })).contacts.map((c: { id: string }) => c.id);

      await page.locator("[data-broadcast]").click();
      await page.locator("#broadcast-title").waitFor();
      // One section per network.
      await page.locator(`[data-section="${xmpp}"]`).waitFor();
      await page.locator(`[data-section="${matrix}"]`).waitFor();
      await checkScreen(page, "broadcast-picker", () => page.locator(`[data-pick="${xmpp}/${BOB}"]`).waitFor());
      // The search narrows the list; what was picked stays picked.
      await page.fill("#broadcast-search", "bob");
      await expect.poll(() => page.locator("[data-pick]").count()).toBe(1);
      await page.locator(`[data-pick="${xmpp}/${BOB}"] input`).check();
      await page.fill("#broadcast-search", "");
      await page.locator(`[data-pick="unibox/${friends[0].id}"] input`).check();
      await page.locator(`[data-pick="${matrix}/${carol}"] input`).check();
      await expect.poll(() => page.locator("[data-picked]").getAttribute("data-picked")).toBe("3");
      await page.fill("#broadcast-text", TEXT);
      // Just then Carol removes the account from her room: Matrix cannot take a message to her.
      hs.kick(room, "@alice:matrix.test", carol);
      await expect.poll(contacts, { timeout: 20_000 }).not.toContain(carol);
      await page.locator("[data-send-broadcast]").click();

      // The card: the friend and Bob get it; Matrix says why it could not.
      await page.locator(".broadcast-card").waitFor();
      expect(await page.locator(".recipient").count()).toBe(3);
      await expect.poll(() => recipient("unibox").getAttribute("data-state"), { timeout: 20_000 }).toMatch(/sent|delivered|read/);
      await expect.poll(() => recipient("xmpp").getAttribute("data-state"), { timeout: 20_000 }).toMatch(/sent|delivered|read/);
      await bob.waitFor((m) => m.body === TEXT, 20_000);
      await expect.poll(() => recipient("matrix").getAttribute("data-state"), { timeout: 30_000 }).toBe("failed");
      expect(await recipient("matrix").locator("[data-reason]").textContent()).toMatch(/room/i);
      await checkScreen(page, "broadcast-card-failed", () => recipient("matrix").locator("[data-retry]").waitFor());

      // Carol takes the account back into her room; Retry on the card.
      hs.invite(room, carol, "@alice:matrix.test", true);
      const join = await fetch(`${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/join`, { method: "POST", headers: { Authorization: `Bearer ${hs.tokenFor("@alice:matrix.test", "LAPTOP")}`, "Content-Type": "application/json" }, body: "{}" });
      expect(join.status).toBe(200);
      await expect.poll(contacts, { timeout: 30_000 }).toContain(carol);
      await recipient("matrix").locator("[data-retry]").click();
      await expect.poll(() => recipient("matrix").getAttribute("data-state"), { timeout: 30_000 }).toMatch(/sent|read/);
      const inRoom = hs.timeline(room).filter((e) => (e.content as { body?: string })?.body === TEXT);
      expect(inRoom).toHaveLength(1);
      // Bob's client sends a receipt, the friend's phone acks: both go to delivered.
      await expect.poll(() => recipient("xmpp").getAttribute("data-state"), { timeout: 20_000 }).toBe("delivered");
      await expect.poll(() => recipient("unibox").getAttribute("data-state"), { timeout: 20_000 }).toBe("delivered");
      expect(await page.locator("[data-summary]").textContent()).toContain("3 reached");

      // Exactly one broadcast frame went out, and one retry.
      const sent = transcript.tail(1000).split("\n").filter((l) => l.includes("phone > "));
      expect(sent.filter((l) => l.includes('"t":"broadcast"'))).toHaveLength(1);
      expect(sent.filter((l) => l.includes('"t":"retry"'))).toHaveLength(1);

      // The friend's conversation has it once.
      const conv = (await call(net.server.url, "/api/conversations", { token: friends[0].token })).conversations[0].id as string;
      const page1 = await call(net.server.url, `/api/conversations/${encodeURIComponent(conv)}/messages`, { token: friends[0].token });
      expect(page1.messages.filter((m: { body: { text: string } }) => m.body.text === TEXT)).toHaveLength(1);

      // A held press on the sent bubble in the friend's chat: where it went, step by step.
      await recipient("unibox").locator("a.title").click();
      const bubble = page.locator(".bubble.own", { hasText: TEXT });
      await bubble.waitFor();
      await longPress(page, bubble);
      await page.locator('[data-action="timeline"]').click();
      await page.locator("[data-timeline]").waitFor();
      const steps = await page.locator("[data-step]").evaluateAll((els) => els.map((e) => e.getAttribute("data-step")));
      expect(steps.slice(0, 2)).toEqual(["accepted", "acknowledged"]);
      await checkScreen(page, "timeline-sheet", () => page.locator("[data-timeline]").waitFor());
      await page.keyboard.press("Escape");

      // Search finds the message in all three conversations; a hit opens its chat at the message.
      await page.goto("/search");
      await page.fill("#search-q", "picnic");
      await page.locator("#search-q").press("Enter");
      await expect.poll(() => page.locator("[data-hit]").count(), { timeout: 10_000 }).toBe(3);
      await checkScreen(page, "search-hits", () => page.locator("[data-hit]").first().waitFor());
      await page.selectOption("#search-source", xmpp);
      await expect.poll(() => page.locator("[data-hit]").count(), { timeout: 10_000 }).toBe(1);
      await page.selectOption("#search-source", "unibox");
      await expect.poll(() => page.locator("[data-hit]").count(), { timeout: 10_000 }).toBe(1);
      await page.locator("[data-hit]").click();
      await page.locator(".bubble.own[data-found]", { hasText: TEXT }).waitFor();
      expect(page.url()).toContain("?msg=");
    } catch (err) {
      console.error(`socket transcript:\n${transcript.tail()}`);
      throw err;
    }
  });
  it("merges the friend and Carol on a suggestion, shows one view, replies via the chosen network, splits; sets quiet hours", async () => {
    const { friends, me, server } = net;
    // The friend is called Carol too now: the same name on Unibox and on Matrix.
    await call(server.url, "/api/me", { method: "PATCH", token: friends[0].token, json: { displayName: "Carol" } });
    // A fresh page: its socket makes the hub read the friend set again.
    await page.goto("/");
    await page.locator("#chats-title").waitFor();
    await page.goto("/contacts");
    await page.locator("[data-people]").click();
    await page.locator('[data-suggestion="name"]').waitFor();
    await checkScreen(page, "people-suggestion", () => page.locator('[data-suggestion="name"]').waitFor());
    await page.locator('[data-suggestion="name"] [data-merge]').click();
    await page.locator("[data-person]").click();
    await page.locator(".person-view").waitFor();
    // Both copies of the broadcast, one from each conversation, in one view.
    await expect.poll(() => page.locator(".person-messages .bubble", { hasText: TEXT }).count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('.person-composer [role="radio"][aria-checked="true"]').count()).toBe(1);
    await checkScreen(page, "person", () => page.locator(".person-view").waitFor());
    // One tap switches to Unibox; the reply reaches the friend there.
    await page.locator('[data-via="unibox"]').click();
    expect(await page.locator('[data-via="unibox"]').getAttribute("aria-checked")).toBe("true");
    await page.locator(".person-composer input").fill("See you at the lake");
    await page.locator(".person-composer input").press("Enter");
    await friendPhone.waitEvent((e) => e.type === "message" && (e.msg.body as { text?: string }).text === "See you at the lake", 20_000, "the reply on Unibox");
    await expect.poll(() => page.locator(".person-messages .bubble", { hasText: "See you at the lake" }).count(), { timeout: 10_000 }).toBe(1);
    // Split: the person is gone, the conversations are as they were.
    await page.locator("[data-split]").click();
    await page.locator("#people-title").waitFor();
    await expect.poll(() => page.locator("[data-person]").count()).toBe(0);
    expect((await call(server.url, "/api/people", { token: me.token })).people).toEqual([]);

    // Quiet hours from Me.
    await page.goto("/me");
    await page.locator("[data-quiet-link]").click();
    await page.locator("#notify-title").waitFor();
    await page.fill("#quiet-start", "22:00");
    await page.fill("#quiet-end", "07:00");
    await page.fill("#quiet-tz", "Europe/Berlin");
    await page.locator("[data-save-quiet]").click();
    await page.locator("[data-quiet-on]").waitFor();
    await checkScreen(page, "notify-settings", () => page.locator("[data-quiet-on]").waitFor());
    expect((await call(server.url, "/api/settings/notify", { token: me.token })).settings.quiet).toEqual({ start: "22:00", end: "07:00", tz: "Europe/Berlin" });
  });
});
