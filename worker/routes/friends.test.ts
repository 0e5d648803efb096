import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { directConversationId } from "../../core/conversation";
import { api, befriend, Client, register } from "../test/helpers";

describe("friend requests", () => {
  it("delivers the request live with its verification message, and accept makes both friends", async () => {
    const [a, b] = [await register("fa"), await register("fb")];
    const bob = await Client.open(b.token, 0);
    const req = await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.phone, message: "we met at the meetup" } });
    expect(req.status).toBe(201);
    expect(req.data.request.to.id).toBe(b.user.id);
    const live = await bob.next((f) => f.t === "ev" && f.ev.type === "friend.request");
    expect(live).toMatchObject({ ev: { request: { id: req.data.request.id, from: { id: a.user.id }, message: "we met at the meetup" } } });

    const lists = await api("/api/friends/requests", { token: b.token });
    expect(lists.data.incoming).toEqual([expect.objectContaining({ id: req.data.request.id, message: "we met at the meetup" })]);
    expect((await api("/api/friends/requests", { token: a.token })).data.outgoing[0].to.id).toBe(b.user.id);

    const alice = await Client.open(a.token, 0);
    const acc = await api(`/api/friends/requests/${req.data.request.id}/accept`, { method: "POST", token: b.token });
    expect(acc.status).toBe(200);
    expect(acc.data.friend.user.id).toBe(a.user.id);
    await alice.next((f) => f.t === "ev" && f.ev.type === "friend.accepted");
    const fa = await api("/api/friends", { token: a.token });
    expect(fa.data.friends.map((f: any) => f.user.id)).toEqual([b.user.id]);
    expect(fa.data.friends[0].online).toBe(true); // bob has a socket open
    expect((await api("/api/friends/requests", { token: b.token })).data.incoming).toEqual([]);
    alice.close();
    bob.close();
  });

  it("gives each friend their conversation id, whose history is an empty page before the first message", async () => {
    const [a, b, c] = [await register("cva"), await register("cvb"), await register("cvc")];
    await befriend(a, b);
    const [friend] = (await api("/api/friends", { token: a.token })).data.friends;
    expect(friend.conv).toBe(directConversationId(a.user.id, b.user.id));
    const page = await api(`/api/conversations/${friend.conv}/messages`, { token: a.token });
    expect([page.status, page.data]).toEqual([200, { messages: [] }]);
    // Not a friend: still 404.
    expect((await api(`/api/conversations/${directConversationId(a.user.id, c.user.id)}/messages`, { token: a.token })).status).toBe(404);
  });

  it("finds people by handle, address and phone in local format", async () => {
    const [a, b, c, d] = [await register("fx"), await register("fy"), await register("fz"), await register("fw")];
    for (const to of [b.user.handle, c.user.address, d.phone.replace("+1 ", "")]) {
      const res = await api("/api/friends/requests", { method: "POST", token: a.token, json: { to } });
      expect(res.status, to).toBe(201);
    }
  });

  it("gives clear 4xx errors for self, unknown, duplicate, reverse and existing friends", async () => {
    const [a, b, c] = [await register("ea"), await register("eb"), await register("ec")];
    const send = (t: typeof a, to: string) => api("/api/friends/requests", { method: "POST", token: t.token, json: { to } });
    expect((await send(a, a.user.handle)).data.error.code).toBe("cannot_friend_self");
    const unknown = await send(a, "no_such_person");
    expect([unknown.status, unknown.data.error.code]).toEqual([404, "user_not_found"]);
    expect((await send(a, b.user.handle)).status).toBe(201);
    const dup = await send(a, b.user.handle);
    expect([dup.status, dup.data.error.code]).toEqual([409, "request_pending"]);
    const reverse = await send(b, a.user.handle);
    expect([reverse.status, reverse.data.error.code]).toEqual([409, "request_incoming"]);
    await befriend(a, c);
    const again = await send(c, a.user.handle);
    expect([again.status, again.data.error.code]).toEqual([409, "already_friends"]);
    expect((await api("/api/friends/requests", { method: "POST", json: { to: "x" } })).status).toBe(401);
  });

  it("only the recipient can settle a request, once", async () => {
    const [a, b, c] = [await register("sa"), await register("sb"), await register("sc")];
    const req = await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle } });
    const id = req.data.request.id;
    expect((await api(`/api/friends/requests/${id}/accept`, { method: "POST", token: c.token })).status).toBe(404);
    expect((await api(`/api/friends/requests/${id}/accept`, { method: "POST", token: a.token })).status).toBe(404);
    expect((await api(`/api/friends/requests/${id}/decline`, { method: "POST", token: b.token })).status).toBe(200);
    const twice = await api(`/api/friends/requests/${id}/accept`, { method: "POST", token: b.token });
    expect([twice.status, twice.data.error.code]).toEqual([409, "request_settled"]);
    expect((await api("/api/friends", { token: b.token })).data.friends).toEqual([]);
  });

  it("removing a friend tells both hubs at once and stops messaging", async () => {
    const [a, b] = [await register("ra"), await register("rb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    alice.send({ t: "send", id: "before", to: { user: b.user.id }, body: { type: "text", text: "hi" } });
    await alice.next((f) => f.t === "accepted");
    expect((await api(`/api/friends/${a.user.id}`, { method: "DELETE", token: b.token })).status).toBe(200);
    await alice.next((f) => f.t === "ev" && f.ev.type === "friend.removed");
    alice.send({ t: "send", id: "after", to: { user: b.user.id }, body: { type: "text", text: "still there?" } });
    expect(await alice.next((f) => f.t === "error")).toMatchObject({ id: "after", code: "not_friend" });
    expect((await api(`/api/friends/${b.user.id}`, { method: "DELETE", token: a.token })).status).toBe(404);
    alice.close();
  });

  it("records every request and decision in the audit trail", async () => {
    const [a, b] = [await register("aua"), await register("aub")];
    await befriend(a, b);
    await api(`/api/friends/${a.user.id}`, { method: "DELETE", token: b.token });
    const rows = await env.DB.prepare("SELECT actor, subject, action FROM friend_audit WHERE actor IN (?, ?) ORDER BY id").bind(a.user.id, b.user.id).all();
    expect(rows.results).toEqual([
      { actor: a.user.id, subject: b.user.id, action: "requested" },
      { actor: b.user.id, subject: a.user.id, action: "accepted" },
      { actor: b.user.id, subject: a.user.id, action: "removed" },
    ]);
  });

  it("limits friend requests per user", async () => {
    const a = await register("spam");
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: `nobody${i}` } })).status);
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it("waits after a decline before the same person may ask again, longer after each decline", async () => {
    const [a, b] = [await register("coola"), await register("coolb")];
    const ask = () => api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle } });
    const decline = async (id: string) => expect((await api(`/api/friends/requests/${id}/decline`, { method: "POST", token: b.token })).status).toBe(200);
    await decline((await ask()).data.request.id);
    // Before, a request re-sent right after a decline went through every time.
    const again = await ask();
    expect([again.status, again.data.error.code]).toEqual([429, "request_cooldown"]);
    // wrangler.toml: 24 h after the first decline.
    expect(Number(again.headers.get("Retry-After"))).toBeGreaterThan(23 * 3600);
    expect(again.data.error.details.retryAfter).toBe(Number(again.headers.get("Retry-After")));
    await ageDecisions(a.user.id, 25 * 3_600_000);
    await decline((await ask()).data.request.id);
    await ageDecisions(a.user.id, 25 * 3_600_000);
    // Two declines: 48 h.
    const second = await ask();
    expect(second.data.error.code).toBe("request_cooldown");
    expect(Number(second.headers.get("Retry-After"))).toBeGreaterThan(22 * 3600);
    await ageDecisions(a.user.id, 24 * 3_600_000);
    expect((await ask()).status).toBe(201);
    // Someone else is not held back by a's declines.
    const c = await register("coolc");
    expect((await api("/api/friends/requests", { method: "POST", token: c.token, json: { to: b.user.handle } })).status).toBe(201);
  });

  it("lets the sender take a pending request back; the recipient's devices are told", async () => {
    const [a, b, c] = [await register("cana"), await register("canb"), await register("canc")];
    const bob = await Client.open(b.token, 0);
    const req = await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle } });
    const id = req.data.request.id;
    // Only the sender, only while pending.
    expect((await api(`/api/friends/requests/${id}`, { method: "DELETE", token: b.token })).data.error.code).toBe("request_not_found");
    expect((await api(`/api/friends/requests/${id}`, { method: "DELETE", token: c.token })).data.error.code).toBe("request_not_found");
    const done = await api(`/api/friends/requests/${id}`, { method: "DELETE", token: a.token });
    expect([done.status, done.data]).toEqual([200, { ok: true }]);
    expect(await bob.next((f) => f.t === "ev" && f.ev.type === "friend.request.cancelled")).toMatchObject({ ev: { request: id } });
    expect((await api("/api/friends/requests", { token: b.token })).data.incoming).toEqual([]);
    expect((await api("/api/friends/requests", { token: a.token })).data.outgoing).toEqual([]);
    expect((await api(`/api/friends/requests/${id}/accept`, { method: "POST", token: b.token })).data.error.code).toBe("request_settled");
    expect((await api(`/api/friends/requests/${id}`, { method: "DELETE", token: a.token })).data.error.code).toBe("request_settled");
    const audit = await env.DB.prepare("SELECT action FROM friend_audit WHERE request_id = ? ORDER BY id").bind(id).all();
    expect(audit.results).toEqual([{ action: "requested" }, { action: "cancelled" }]);
    // Taking it back is not a decline: asking again is fine.
    expect((await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle } })).status).toBe(201);
    bob.close();
  });
});

/** Moves the user's settled requests `ms` into the past, as if that much time went by. */
async function ageDecisions(from: string, ms: number): Promise<void> {
  await env.DB.prepare("UPDATE friend_requests SET decided_at = decided_at - ? WHERE from_user = ? AND decided_at IS NOT NULL").bind(ms, from).run();
}
