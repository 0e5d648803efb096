// Search through a real `wrangler dev` (FTS5 in the hub's SQLite under workerd): a word said by
// Bob on XMPP (a real Prosody), by Carol on Matrix (the spec fake) and in a Unibox group is
// found with its conversation and position, filtered by source, date and person; another user
// who shares the group finds only their own copy, and nothing of the user's other chats.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, openPhone, type Phone } from "../../support/accounts";
import { type Networks, startNetworks } from "./networks";

let net: Networks & { phone: Phone };

beforeAll(async () => {
  net = await startNetworks("se");
});

afterAll(async () => {
  await net?.stop();
});

const search = (token: string, params: Record<string, string | number>) =>
  call(net.server.url, `/api/search?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`, { token });

describe("search across networks", () => {
  it("finds the word on XMPP, Matrix and in a group, opens at the message, filters, and keeps users apart", async () => {
    const { phone, bob, hs, carol, room, me, friends, xmpp, matrix, server } = net;
    await bob.send("alice@localhost", "Shall we take the funicular up?");
    hs.say(carol, room, "The funicular closes at six");
    const group = await call(server.url, "/api/groups", { token: me.token, json: { name: "Hike", members: [friends[0].id] } });
    const f1 = await openPhone(server.url, friends[0]);
    f1.send({ t: "send", id: "g-1", to: { group: group.group.id }, body: { type: "text", text: "Funicular tickets: I have two" } });
    await phone.waitEvents((e) => e.type === "message" && /funicular/i.test((e.msg.body as { text?: string }).text ?? ""), 3, 30_000, "three messages");
    const since = Date.now();

    const all = (await search(me.token, { q: "funicular" })).hits;
    expect(all).toHaveLength(3);
    expect(new Set(all.map((h: { message: { source: string } }) => h.message.source))).toEqual(new Set(["unibox", xmpp, matrix]));
    // Each hit says where it is: the conversation, the message id and its seq, as history pages do.
    for (const h of all) {
      const page = await call(server.url, `/api/conversations/${encodeURIComponent(h.message.conv)}/messages`, { token: me.token });
      expect(page.messages.some((m: { id: string; seq: number }) => m.id === h.message.id && m.seq === h.message.seq)).toBe(true);
    }
    expect((await search(me.token, { q: "funicular", source: xmpp })).hits.map((h: { snippet: string }) => h.snippet)).toEqual(["Shall we take the funicular up?"]);
    expect((await search(me.token, { q: "funicular", source: matrix })).hits.map((h: { title: string }) => h.title)).toEqual(["Carol"]);
    expect((await search(me.token, { q: "funicular", from: since + 60_000 })).hits).toEqual([]);

    // Bob on XMPP and Carol on Matrix are one person: the person filter finds both.
    const person = (await call(server.url, "/api/people", { token: me.token, json: { handles: [{ source: xmpp, contact: "bob@localhost" }, { source: matrix, contact: carol }], name: "B+C" } })).person;
    const byPerson = (await search(me.token, { q: "funicular", person: person.id })).hits;
    expect(byPerson.map((h: { message: { source: string } }) => h.message.source).sort()).toEqual([matrix, xmpp].sort());

    // The friend shares the group: they find their own copy of the group message, nothing else.
    const theirs = (await search(friends[0].token, { q: "funicular" })).hits;
    expect(theirs.map((h: { snippet: string }) => h.snippet)).toEqual(["Funicular tickets: I have two"]);
    expect((await search(friends[0].token, { q: "funicular", source: xmpp })).hits).toEqual([]);
    const notTheirs = await fetch(`${server.url}/api/search?q=funicular&person=${person.id}`, { headers: { Authorization: `Bearer ${friends[0].token}` } });
    expect([notTheirs.status, ((await notTheirs.json()) as { error: { code: string } }).error.code]).toEqual([404, "person_not_found"]);
    expect((await search(friends[1].token, { q: "funicular" })).hits).toEqual([]);
    f1.close();
  });
});
