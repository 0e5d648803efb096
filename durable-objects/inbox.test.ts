// Issue 14 inside workerd, on real hubs and the real Worker: merged people (suggestions from a
// shared phone number and a shared address, reply routing to the network they last wrote on,
// split giving back both), search over every source with filters and nothing of another
// user's, the delivery timeline of a native message, and quiet hours with a set clock.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { directConversationId, remoteConversationId } from "../core/conversation";
import type { Account, Body, ServerFrame } from "../core/protocol";
import type { RemoteEvent } from "../worker/connectors/types";
import type { Env } from "../worker/env";
import { api, befriend, Client, register, textBody, type TestUser } from "../worker/test/helpers";
import { hubOf } from "./stubs";
import { inQuietHours, quietEnd } from "./user-hub/quiet";
import { backfillSearch } from "./user-hub/store/schema";
import { matchQuery, SearchStore } from "./user-hub/store/search";

type Accepted = Extract<ServerFrame, { t: "accepted" }>;
const hub = (u: TestUser) => hubOf(env as unknown as Env, u.user.id);
let accounts = 0;

/** A bound account as the hub knows it (the link is not needed for what comes in). */
async function bound(u: TestUser, network: Account["network"], label: string): Promise<string> {
  const id = `a_test${++accounts}${u.user.id.slice(-6)}`;
  await hub(u).accountBound({ id, network, label, remote: `${u.user.handle}@${network}`, state: "connected", message: "connected", createdAt: Date.now() });
  return id;
}

const direct = (id: string, name = id) => ({ id, kind: "direct" as const, title: name });
let remoteIds = 0;
function said(chat: string, name: string, body: Body, at = Date.now()): RemoteEvent {
  return { type: "message", chat: direct(chat, name), remoteId: `r${++remoteIds}`, sender: { id: chat, name }, fromMe: false, body, at };
}

async function ingest(u: TestUser, account: string, events: RemoteEvent[]) {
  expect(await hub(u).ingest(account, events)).toEqual({ ok: true });
}

describe("people: one person across networks", () => {
  it("suggests merges from a shared phone number and a shared address, and nothing else", async () => {
    const [me, bob] = [await register("pm"), await register("pb")];
    await befriend(me, bob);
    const phoneNet = await bound(me, "telegram", "Telegram");
    const chat = await bound(me, "xmpp", "Jabber");
    const mail = await bound(me, "mail", "Mail");
    await ingest(me, phoneNet, [{ type: "contacts", contacts: [{ id: "777001", name: "Carol T", phone: "+1 (415) 555-0199" } as never, { id: "777002", name: "Dan" }] }]);
    await ingest(me, chat, [{ type: "contacts", contacts: [{ id: "carol@jabber.test", name: "Carol", phone: "415 555 0199" } as never, { id: "erin@jabber.test", name: "Erin" }] }]);
    // Bob's Unibox address wrote to the user's mailbox: the same address as the friend.
    await ingest(me, mail, [said(bob.user.address, "Bob B", { type: "email", subject: "hi", text: "from my mail" })]);

    const { data } = await api("/api/people/suggestions", { token: me.token });
    const byReason = (r: string) => data.suggestions.filter((s: { reason: string }) => s.reason === r);
    expect(byReason("phone")).toHaveLength(1);
    expect(byReason("phone")[0].handles.map((h: { source: string; contact: string }) => `${h.source}/${h.contact}`).sort()).toEqual([`${chat}/carol@jabber.test`, `${phoneNet}/777001`].sort());
    expect(byReason("email")).toHaveLength(1);
    expect(byReason("email")[0].handles.map((h: { source: string; contact: string }) => `${h.source}/${h.contact}`).sort()).toEqual([`${mail}/${bob.user.address}`, `unibox/${bob.user.id}`].sort());
    // Dan and Erin share nothing with anyone.
    expect(JSON.stringify(data.suggestions)).not.toMatch(/777002|erin@/);

    // Confirming one: it is not proposed again; turning one down: the same.
    const phone = byReason("phone")[0];
    const merged = await api("/api/people", { method: "POST", token: me.token, json: { handles: phone.handles.map(({ source, contact }: never) => ({ source, contact })), suggestion: phone.key } });
    expect(merged.status, JSON.stringify(merged.data)).toBe(201);
    await api("/api/people/suggestions/dismiss", { method: "POST", token: me.token, json: { key: byReason("email")[0].key } });
    expect((await api("/api/people/suggestions", { token: me.token })).data.suggestions).toEqual([]);
  });

  it("refuses handles that are not the user's, and another user's person is not there", async () => {
    const [me, other] = [await register("pr"), await register("po")];
    const res = await api("/api/people", { method: "POST", token: me.token, json: { handles: [{ source: "unibox", contact: other.user.id }, { source: "a_nope", contact: "x@y.z" }] } });
    expect([res.status, res.data.error.code]).toEqual([404, "handle_not_found"]);
    const friend = await register("pf");
    await befriend(me, friend);
    const acc = await bound(me, "xmpp", "Jabber");
    await ingest(me, acc, [said("f@jabber.test", "F", textBody("hello"))]);
    const merged = await api("/api/people", { method: "POST", token: me.token, json: { handles: [{ source: "unibox", contact: friend.user.id }, { source: acc, contact: "f@jabber.test" }] } });
    expect(merged.status).toBe(201);
    const id = merged.data.person.id;
    expect((await api(`/api/people/${id}/messages`, { token: other.token })).status).toBe(404);
    expect((await api(`/api/people/${id}`, { method: "DELETE", token: other.token })).data.error.code).toBe("person_not_found");
  });

  it("replies on the network they last wrote on, switches with one send, and a split gives back both conversations", async () => {
    const [me, bob] = [await register("rm"), await register("rb")];
    await befriend(me, bob);
    const xmpp = await bound(me, "xmpp", "Jabber");
    const t0 = Date.now();
    await ingest(me, xmpp, [said("bob@jabber.test", "Bob", textBody("on jabber, first"), t0 - 60_000)]);
    const merged = await api("/api/people", { method: "POST", token: me.token, json: { handles: [{ source: "unibox", contact: bob.user.id }, { source: xmpp, contact: "bob@jabber.test" }], name: "Bob" } });
    const person = merged.data.person;
    expect(person.replyTo.conv).toBe(remoteConversationId(xmpp, "bob@jabber.test"));

    const mine = await Client.open(me.token, 0);
    mine.send({ t: "send", id: "to-person-1", to: { person: person.id }, body: textBody("reply goes to jabber") });
    const first = await mine.next<Accepted>((f) => f.t === "accepted" && f.id === "to-person-1");
    expect(first.conv).toBe(remoteConversationId(xmpp, "bob@jabber.test"));

    // Bob writes on Unibox now: that is where the next reply goes.
    const bobs = await Client.open(bob.token, 0);
    bobs.send({ t: "send", id: "native-1", to: { user: me.user.id }, body: textBody("now on unibox") });
    await bobs.next((f) => f.t === "accepted");
    const native = directConversationId(me.user.id, bob.user.id);
    expect((await api("/api/people", { token: me.token })).data.people[0].replyTo.conv).toBe(native);
    mine.send({ t: "send", id: "to-person-2", to: { person: person.id }, body: textBody("reply goes to unibox") });
    expect((await mine.next<Accepted>((f) => f.t === "accepted" && f.id === "to-person-2")).conv).toBe(native);
    // A retry of the first send keeps its first way, whatever changed since.
    mine.send({ t: "send", id: "to-person-1", to: { person: person.id }, body: textBody("reply goes to jabber") });
    expect((await mine.next<Accepted>((f) => f.t === "accepted" && f.id === "to-person-1")).conv).toBe(first.conv);
    // The one-tap switch is a send to the other handle's conversation.
    mine.send({ t: "send", id: "switch-1", to: { conv: remoteConversationId(xmpp, "bob@jabber.test") }, body: textBody("back on jabber") });
    await mine.next((f) => f.t === "accepted" && (f as Accepted).id === "switch-1");

    // One view, in time order, across both networks.
    const view = (await api(`/api/people/${person.id}/messages`, { token: me.token })).data;
    expect(view.messages.map((m: { body: { text: string } }) => m.body.text)).toEqual(["on jabber, first", "reply goes to jabber", "now on unibox", "reply goes to unibox", "back on jabber"]);
    const ats = view.messages.map((m: { at: number }) => m.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);

    // Split: the person is gone, both conversations are there with every message.
    const before = await Promise.all([native, first.conv].map(async (c) => (await api(`/api/conversations/${encodeURIComponent(c)}/messages`, { token: me.token })).data.messages.length));
    expect((await api(`/api/people/${person.id}`, { method: "DELETE", token: me.token })).status).toBe(200);
    expect((await api("/api/people", { token: me.token })).data.people).toEqual([]);
    const after = await Promise.all([native, first.conv].map(async (c) => (await api(`/api/conversations/${encodeURIComponent(c)}/messages`, { token: me.token })).data.messages.length));
    expect(after).toEqual(before);
    expect(before).toEqual([2, 3]);
    mine.send({ t: "send", id: "to-person-3", to: { person: person.id }, body: textBody("no one") });
    expect(await mine.next((f) => f.t === "error")).toMatchObject({ id: "to-person-3", code: "person_not_found" });
    // And merging again is possible: nothing was lost in between.
    const again = await api("/api/people", { method: "POST", token: me.token, json: { handles: [{ source: "unibox", contact: bob.user.id }, { source: xmpp, contact: "bob@jabber.test" }] } });
    expect((await api(`/api/people/${again.data.person.id}/messages`, { token: me.token })).data.messages).toHaveLength(5);
    mine.close();
    bobs.close();
  });
});

describe("search over everything the user has", () => {
  it("finds a word in a mail, a message from another network and a group message, with filters, and never another user's", async () => {
    const [me, bob, eve] = [await register("sm"), await register("sb"), await register("se")];
    await befriend(me, bob);
    await befriend(eve, bob);
    const xmpp = await bound(me, "xmpp", "Jabber");
    const mail = await bound(me, "mail", "Mail");
    const old = Date.now() - 10 * 86_400_000;
    await ingest(me, xmpp, [said("kim@jabber.test", "Kim", textBody("the Zeppelin lands at noon")), said("kim@jabber.test", "Kim", textBody("unrelated"))]);
    // A mail arrives in the bound mailbox (the mail module stores it; search indexes it there).
    await ingest(me, mail, [{ type: "mail", mail: { remoteId: "<travel@mail.test>", from: { address: "lee@mail.test", name: "Lee" }, to: [{ address: "me@mail.test" }], subject: "Travel", text: "Tickets for the zeppelin tour attached.\nRegards", at: old, messageId: "<travel@mail.test>" } }]);
    const group = await api("/api/groups", { method: "POST", token: bob.token, json: { name: "Trip", members: [me.user.id] } });
    const bobs = await Client.open(bob.token, 0);
    bobs.send({ t: "send", id: "g1", to: { group: group.data.group.id }, body: textBody("Zeppelins are slow 🚀") });
    await bobs.next((f) => f.t === "accepted");
    // Eve's own conversation with Bob says the word too; it is hers, not the user's.
    const eves = await Client.open(eve.token, 0);
    eves.send({ t: "send", id: "e1", to: { user: bob.user.id }, body: textBody("eve's zeppelin secret") });
    await eves.next((f) => f.t === "accepted");
    await waitFor(async () => (await api(`/api/conversations/${encodeURIComponent(group.data.group.conv)}/messages`, { token: me.token })).data?.messages?.length === 1);

    const search = async (u: TestUser, params: Record<string, string | number>) =>
      (await api(`/api/search?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`, { token: u.token })).data;
    const all = await search(me, { q: "zeppelin" });
    expect(all.hits.map((h: { snippet: string }) => h.snippet)).toEqual(["Zeppelins are slow 🚀", "the Zeppelin lands at noon", "Tickets for the zeppelin tour attached. Regards"]);
    expect(all.hits.slice(0, 2).map((h: { message: { conv: string } }) => h.message.conv)).toEqual([group.data.group.conv, remoteConversationId(xmpp, "kim@jabber.test")]);
    // The mail is a mail hit: it opens in the Mail tab.
    expect(all.hits[2]).toMatchObject({ title: "Travel", mail: { account: mail, subject: "Travel", from: { address: "lee@mail.test" } } });
    expect(all.hits[1].title).toBe("Kim");
    // Filters: source, dates, a conversation, paging.
    expect((await search(me, { q: "zeppelin", source: mail })).hits).toHaveLength(1);
    expect((await search(me, { q: "zeppelin", source: "unibox" })).hits.map((h: { message: { conv: string } }) => h.message.conv)).toEqual([group.data.group.conv]);
    expect((await search(me, { q: "zeppelin", to: old + 1 })).hits).toHaveLength(1);
    expect((await search(me, { q: "zeppelin", from: old + 1 })).hits).toHaveLength(2);
    const page1 = await search(me, { q: "zeppelin", limit: 2 });
    expect(page1.hits).toHaveLength(2);
    const page2 = await search(me, { q: "zeppelin", limit: 2, before: page1.before });
    expect(page2.hits.map((h: { mail: { id: string } }) => h.mail.id)).toEqual([all.hits[2].mail.id]);
    // A person filter: Kim merged with nobody else is still a person of one handle? No: people need two handles.
    const kimAndLee = await api("/api/people", { method: "POST", token: me.token, json: { handles: [{ source: xmpp, contact: "kim@jabber.test" }, { source: mail, contact: "lee@mail.test" }] } });
    const byPerson = await search(me, { q: "zeppelin", person: kimAndLee.data.person.id });
    expect(byPerson.hits).toHaveLength(2);
    expect(byPerson.hits.every((h: { person: string }) => h.person === kimAndLee.data.person.id)).toBe(true);
    // Nothing of another user's, whatever they try: Eve's word, the user's person, the user's conversation.
    expect((await search(me, { q: "secret" })).hits).toEqual([]);
    const eveHits = await search(eve, { q: "zeppelin" });
    expect(eveHits.hits.map((h: { snippet: string }) => h.snippet)).toEqual(["eve's zeppelin secret"]);
    expect((await search(eve, { q: "zeppelin", conv: group.data.group.conv })).hits).toEqual([]);
    expect((await search(eve, { q: "zeppelin", conv: remoteConversationId(xmpp, "kim@jabber.test") })).hits).toEqual([]);
    expect((await search(eve, { q: "zeppelin", person: kimAndLee.data.person.id })).error.code).toBe("person_not_found");
    expect((await search(eve, { q: "zeppelin", source: mail })).hits).toEqual([]);
    bobs.close();
    eves.close();
  });

  it("reads no operator of the user's, finds prefixes and words inside Chinese text, and indexes what was there before", async () => {
    expect(matchQuery('foo" OR bar*')).toBe('"foo"* AND "OR"* AND "bar"*');
    expect(matchQuery("NEAR(a b)")).toBe('"NEAR a"* AND "b"*');
    expect(matchQuery("你好")).toBe('"你 好"');
    expect(matchQuery("  ")).toBeNull();
    const me = await register("sc");
    const acc = await bound(me, "xmpp", "Jabber");
    await ingest(me, acc, [said("wang@jabber.test", "王", textBody("我们明天去长城吧")), said("wang@jabber.test", "王", textBody("deliveries: 3"))]);
    const q = async (s: string) => (await api(`/api/search?q=${encodeURIComponent(s)}`, { token: me.token })).data.hits.length;
    expect(await q("长城")).toBe(1);
    expect(await q("城长")).toBe(0);
    expect(await q("deliver")).toBe(1);
    expect(await q('deliveries" OR "x')).toBe(0);
    // Messages written before the index existed: the backfill step puts them there.
    const found = await runInDurableObject(hub(me), async (_i, state) => {
      const sql = state.storage.sql;
      const search = new SearchStore(sql);
      sql.exec("DELETE FROM message_search");
      const before = search.find("长城", {}, 10).length;
      backfillSearch(sql);
      return { before, after: search.find("长城", {}, 10).length, deliver: search.find("deliver", {}, 10).length };
    });
    expect(found).toEqual({ before: 0, after: 1, deliver: 1 });
  });
});

describe("broadcast", () => {
  it("answers the same frame again with the same targets, a refused one with its first refusal, and sends once", async () => {
    const [me, bob, stranger] = [await register("bm"), await register("bb"), await register("bs")];
    await befriend(me, bob);
    const mine = await Client.open(me.token, 0);
    const frame = { t: "broadcast", id: "b-1", to: [{ user: bob.user.id }, { user: stranger.user.id }], body: textBody("to both") };
    mine.send(frame);
    const first = await mine.next<Accepted>((f) => f.t === "accepted");
    expect(first.targets![0]!.msgId).toBeTruthy();
    expect(first.targets![1]).toEqual({ error: { code: "not_friend", message: "you can only message your friends" } });
    mine.send(frame);
    expect((await mine.next<Accepted>((f) => f.t === "accepted")).targets).toEqual(first.targets);
    const conv = directConversationId(me.user.id, bob.user.id);
    expect((await api(`/api/conversations/${conv}/messages`, { token: bob.token })).data.messages).toHaveLength(1);
    const states = mine.events("broadcast.status").map((f) => [(f.ev as { target: number }).target, (f.ev as { state: string }).state]);
    expect(states).toEqual([[0, "sent"], [1, "failed"]]);
    mine.close();
  });
});

describe("delivery timeline", () => {
  it("shows a native message accepted, acknowledged, delivered and read, with times in order; others' messages have none", async () => {
    const [me, bob] = [await register("tm"), await register("tb")];
    await befriend(me, bob);
    const mine = await Client.open(me.token, 0);
    const bobs = await Client.open(bob.token, 0);
    mine.send({ t: "send", id: "t1", to: { user: bob.user.id }, body: textBody("track me") });
    const acc = await mine.next<Accepted>((f) => f.t === "accepted");
    const ev = await bobs.next<Extract<ServerFrame, { t: "ev" }>>((f) => f.t === "ev" && f.ev.type === "message");
    bobs.send({ t: "ack", seq: ev.seq });
    bobs.send({ t: "read", conv: acc.conv, msgIds: [acc.msgId] });
    await mine.next((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "read");
    const url = `/api/conversations/${encodeURIComponent(acc.conv)}/messages/${acc.msgId}/timeline`;
    const { timeline } = (await api(url, { token: me.token })).data;
    expect(timeline.steps.map((s: { step: string }) => s.step)).toEqual(["accepted", "acknowledged", "delivered", "read"]);
    const ats = timeline.steps.map((s: { at: number }) => s.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    expect(timeline.state).toBe("read");
    expect(timeline.steps[2].by).toBe(bob.user.id);
    // Bob's copy is not his own message; a stranger does not see it at all.
    expect((await api(url, { token: bob.token })).data.error.code).toBe("message_not_found");
    expect((await api(url, { token: (await register("tx")).token })).status).toBe(404);
    mine.close();
    bobs.close();
  });
});

describe("quiet hours and mute", () => {
  const berlin = { start: "22:00", end: "07:00", tz: "Europe/Berlin" };
  // 2026-01-15 is winter in Berlin (UTC+1); 2026-07-15 summer (UTC+2).
  const at = (iso: string) => Date.parse(iso);

  it("knows the hours in the user's zone, across midnight and across a change of the clocks", () => {
    expect(inQuietHours(berlin, at("2026-01-15T21:30:00Z"))).toBe(true); // 22:30 local
    expect(inQuietHours(berlin, at("2026-01-15T20:59:00Z"))).toBe(false); // 21:59
    expect(inQuietHours(berlin, at("2026-01-16T05:59:00Z"))).toBe(true); // 06:59
    expect(inQuietHours(berlin, at("2026-01-16T06:00:00Z"))).toBe(false); // 07:00
    expect(inQuietHours(berlin, at("2026-07-15T20:30:00Z"))).toBe(true); // 22:30 CEST
    expect(quietEnd(berlin, at("2026-01-15T21:30:00Z"))).toBe(at("2026-01-16T06:00:00Z"));
    expect(quietEnd(berlin, at("2026-07-15T20:30:00Z"))).toBe(at("2026-07-16T05:00:00Z"));
    // The night the clocks go forward (2026-03-29, 02:00 → 03:00): 07:00 is at 05:00 UTC, one hour nearer.
    expect(quietEnd(berlin, at("2026-03-28T22:00:00Z"))).toBe(at("2026-03-29T05:00:00Z"));
    expect(quietEnd(berlin, at("2026-10-24T21:00:00Z"))).toBe(at("2026-10-25T06:00:00Z"));
    expect(inQuietHours({ start: "09:00", end: "17:00", tz: "Asia/Shanghai" }, at("2026-01-15T02:00:00Z"))).toBe(true);
  });

  it("holds pushes at night, sends one summary when the night ends, drops muted ones, and delivers in the app throughout", async () => {
    const [me, bob] = [await register("qm"), await register("qb")];
    await befriend(me, bob);
    await hub(me).addPushSubscription({ endpoint: "http://127.0.0.1:9/push/me", ...(await browserKeys()) });
    expect((await api("/api/settings/notify/quiet", { method: "PUT", token: me.token, json: { quiet: { ...berlin, tz: "Mars/Olympus" } } })).status).toBe(400);
    const set = await api("/api/settings/notify/quiet", { method: "PUT", token: me.token, json: { quiet: berlin } });
    expect(set.data.settings.quiet).toEqual(berlin);
    // The clock route exists only where CLOCK_CONTROL=1; here the hub's clock is set directly.
    expect((await api("/api/settings/clock", { method: "PUT", token: me.token, json: { now: 0 } })).status).toBe(404);
    const night = Date.parse("2026-01-15T22:30:00Z");
    await hub(me).setClock(night);

    const bobs = await Client.open(bob.token, 0);
    for (let i = 0; i < 3; i++) {
      bobs.send({ t: "send", id: `n${i}`, to: { user: me.user.id }, body: textBody(`night ${i}`) });
      await bobs.next((f) => f.t === "accepted");
    }
    const pushes = () => runInDurableObject(hub(me), async (_i, state) => state.storage.sql.exec<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'push'").toArray().map((r) => JSON.parse(r.payload).notice));
    expect(await pushes()).toEqual([]);
    expect(await runInDurableObject(hub(me), async (_i, state) => JSON.parse(state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'push_held'").one().v).count)).toBe(3);

    // Muted: not even counted for the summary.
    const conv = directConversationId(me.user.id, bob.user.id);
    expect((await api(`/api/settings/notify/conversations/${encodeURIComponent(conv)}`, { method: "PUT", token: me.token, json: { until: null } })).data.settings.muted).toEqual([{ conv, until: null }]);
    bobs.send({ t: "send", id: "n-muted", to: { user: me.user.id }, body: textBody("muted") });
    await bobs.next((f) => f.t === "accepted");
    await api(`/api/settings/notify/conversations/${encodeURIComponent(conv)}`, { method: "PUT", token: me.token, json: { unmute: true } });

    // 07:00 in Berlin: one summary push, for the three held.
    await hub(me).setClock(Date.parse("2026-01-16T06:00:30Z"));
    await runDurableObjectAlarm(hub(me));
    const after = await pushes();
    expect(after).toEqual([{ v: 1, type: "summary", count: 3, convs: [conv], titles: [bob.user.displayName], at: expect.any(Number) }]);
    // Daytime: a message is pushed as usual.
    bobs.send({ t: "send", id: "day", to: { user: me.user.id }, body: textBody("good morning") });
    await bobs.next((f) => f.t === "accepted");
    expect((await pushes()).map((n) => n.type)).toEqual(["summary", "message"]);
    // In the app nothing changed: every message is there.
    const page = (await api(`/api/conversations/${encodeURIComponent(conv)}/messages`, { token: me.token })).data;
    expect(page.messages.map((m: { body: { text: string } }) => m.body.text)).toEqual(["night 0", "night 1", "night 2", "muted", "good morning"]);
    // Muted everywhere: nothing goes.
    await api("/api/settings/notify/mute", { method: "PUT", token: me.token, json: { until: Date.now() + 3_600_000 } });
    bobs.send({ t: "send", id: "all-muted", to: { user: me.user.id }, body: textBody("shh") });
    await bobs.next((f) => f.t === "accepted");
    expect(await pushes()).toHaveLength(2);
    bobs.close();
  });
});

/** A browser's subscription keys: a real P-256 point and a 16-byte auth secret. */
async function browserKeys() {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { p256dh: b64(raw), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
