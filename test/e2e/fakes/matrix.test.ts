// The fake Matrix homeserver, driven over real HTTP the way a client drives a homeserver:
// what it serves and, for each part, what it refuses, with the exact status and error body
// the client-server spec gives.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeMatrix, startFakeMatrix } from "../../support/fakes/matrix";

type Reply = { status: number; body: any; headers: Headers };

let hs: FakeMatrix;
let alice: string;
let bob: string;
let carol: string;

async function call(path: string, opts: { token?: string; method?: string; body?: unknown; raw?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(`${hs.url}${path}`, { method: opts.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

const cs = (path: string) => `/_matrix/client/v3${path}`;
const enc = encodeURIComponent;

async function login(user: string, password: string): Promise<string> {
  const r = await call(cs("/login"), { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password } });
  expect(r.status).toBe(200);
  return r.body.access_token;
}

async function sync(token: string, query = ""): Promise<any> {
  const r = await call(cs(`/sync${query ? `?${query}` : ""}`), { token });
  expect(r.status).toBe(200);
  return r.body;
}

beforeAll(async () => {
  hs = await startFakeMatrix({ serverName: "hs.test" });
  alice = hs.addUser("alice", "alice-pw", "Alice").userId;
  bob = hs.addUser("bob", "bob-pw", "Bob").userId;
  carol = hs.addUser("@carol:remote.test", undefined, "Carol").userId;
});

afterAll(() => hs.stop());

describe("versions and login", () => {
  it("lists versions and the password login flow", async () => {
    const versions = await call("/_matrix/client/versions");
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toContain("v1.11");
    expect(versions.headers.get("access-control-allow-origin")).toBe("*");
    expect((await call(cs("/login"))).body).toEqual({ flows: [{ type: "m.login.password" }] });
  });

  it("logs in with identifier m.id.user (localpart or full id) and the deprecated user field, then whoami names the token's owner", async () => {
    const r = await call(cs("/login"), { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "@alice:hs.test" }, password: "alice-pw", device_id: "PHONE" } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ user_id: alice, access_token: expect.any(String), device_id: "PHONE" });
    const whoami = await call(cs("/account/whoami"), { token: r.body.access_token });
    expect(whoami).toMatchObject({ status: 200, body: { user_id: alice, device_id: "PHONE", is_guest: false } });
    const legacy = await call(cs("/login"), { body: { type: "m.login.password", user: "alice", password: "alice-pw" } });
    expect(legacy.status).toBe(200);
    expect(legacy.body.device_id).toMatch(/^[A-Z]{10}$/);
  });

  it("logging in again with the same device_id ends that device's old token", async () => {
    const body = { type: "m.login.password", identifier: { type: "m.id.user", user: "bob" }, password: "bob-pw", device_id: "TABLET" };
    const first = (await call(cs("/login"), { body })).body.access_token;
    await call(cs("/login"), { body });
    expect(await call(cs("/account/whoami"), { token: first })).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN", soft_logout: false } });
  });

  it("refuses a wrong password, an unknown user, an unknown login type, and malformed bodies", async () => {
    const wrong = await call(cs("/login"), { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "nope" } });
    expect(wrong).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN", error: "Invalid username or password" } });
    const nobody = await call(cs("/login"), { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "mallory" }, password: "x" } });
    expect(nobody).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    const remote = await call(cs("/login"), { body: { type: "m.login.password", user: "@carol:remote.test", password: "" } });
    expect(remote).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    const type = await call(cs("/login"), { body: { type: "m.login.foo", user: "alice", password: "alice-pw" } });
    expect(type).toMatchObject({ status: 400, body: { errcode: "M_UNKNOWN", error: "Unknown login type" } });
    expect((await call(cs("/login"), { raw: "{not json" })).body).toEqual({ errcode: "M_NOT_JSON", error: "Content not JSON." });
    expect(await call(cs("/login"), { body: [1, 2] })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON" } });
    expect(await call(cs("/login"), { body: { type: "m.login.password", user: "alice", password: 7 } })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON" } });
    expect(await call(cs("/login"), { body: { type: "m.login.password", password: "alice-pw" } })).toMatchObject({ status: 400, body: { errcode: "M_MISSING_PARAM" } });
    expect(await call(cs("/login"), { body: { type: "m.login.password", identifier: { type: "m.id.thirdparty", medium: "email", address: "a@b.c" }, password: "x" } })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
  });
});

describe("access tokens", () => {
  it("401 M_MISSING_TOKEN without a token or with a malformed Authorization header", async () => {
    expect(await call(cs("/account/whoami"))).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN", error: "Missing access token" } });
    expect(await call(cs("/account/whoami"), { headers: { authorization: "Basic abc" } })).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
  });

  it("401 M_UNKNOWN_TOKEN for a token never issued, revoked, soft-logged-out, or logged out", async () => {
    expect((await call(cs("/account/whoami"), { token: "syt_nope" })).body).toEqual({ errcode: "M_UNKNOWN_TOKEN", error: "Unrecognised access token", soft_logout: false });
    const revoked = hs.tokenFor(alice);
    hs.revoke(revoked);
    expect(await call(cs("/sync"), { token: revoked })).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN", soft_logout: false } });
    const expired = hs.tokenFor(alice);
    hs.revoke(expired, { softLogout: true });
    expect(await call(cs("/sync"), { token: expired })).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN", soft_logout: true } });
    const session = await login("alice", "alice-pw");
    expect(await call(cs("/logout"), { token: session, method: "POST" })).toMatchObject({ status: 200, body: {} });
    expect(await call(cs("/account/whoami"), { token: session })).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN", soft_logout: false } });
  });

  it("takes the deprecated ?access_token= as Synapse does, logs how it came, and can refuse it as the next spec will", async () => {
    const token = hs.tokenFor(alice);
    const before = hs.requests.length;
    expect((await call(cs(`/account/whoami?access_token=${token}`))).status).toBe(200);
    expect(hs.requests.slice(before)).toEqual([{ method: "GET", path: cs("/account/whoami"), status: 200, token: "query" }]);
    const strict = await startFakeMatrix({ queryTokens: false });
    try {
      const user = strict.addUser("dave", "pw").userId;
      const res = await fetch(`${strict.url}${cs(`/account/whoami?access_token=${strict.tokenFor(user)}`)}`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { errcode: string }).errcode).toBe("M_MISSING_TOKEN");
    } finally {
      await strict.stop();
    }
  });

  it("M_UNRECOGNIZED: 404 for an unknown endpoint, 405 for a known one with the wrong method", async () => {
    expect((await call(cs("/no/such/thing"))).body).toEqual({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
    expect((await call(cs("/no/such/thing"))).status).toBe(404);
    expect(await call(cs("/account/whoami"), { method: "POST", body: {} })).toMatchObject({ status: 405, body: { errcode: "M_UNRECOGNIZED" } });
  });
});

describe("sync", () => {
  let token: string;
  let dm: string;

  beforeAll(() => {
    token = hs.tokenFor(alice);
    dm = hs.createRoom({ creator: bob, members: [alice], direct: true });
  });

  it("an initial sync has the joined room's state, timeline and m.direct in the global account_data", async () => {
    const first = await sync(token);
    expect(first.next_batch).toMatch(/^s\d+$/);
    const room = first.rooms.join[dm];
    expect(room.timeline.events.at(-1)).toMatchObject({ type: "m.room.member", state_key: alice, sender: alice, content: { membership: "join", displayname: "Alice" } });
    for (const ev of [...room.state.events, ...room.timeline.events]) {
      expect(ev).toEqual(expect.objectContaining({ event_id: expect.stringMatching(/^\$/), sender: expect.stringMatching(/^@/), origin_server_ts: expect.any(Number), type: expect.any(String), content: expect.any(Object) }));
    }
    expect(room.summary).toEqual({ "m.joined_member_count": 2, "m.invited_member_count": 0, "m.heroes": [bob] });
    expect(first.account_data.events).toContainEqual({ type: "m.direct", content: { [bob]: [dm] } });
  });

  it("a long-poll is held until someone speaks, then answers with just that event", async () => {
    const { next_batch } = await sync(token);
    const started = Date.now();
    const pending = sync(token, `since=${next_batch}&timeout=5000`);
    await new Promise((r) => setTimeout(r, 150));
    const eventId = hs.say(bob, dm, "hello alice");
    const woken = await pending;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(woken.rooms.join[dm].timeline).toMatchObject({ limited: false, events: [{ event_id: eventId, sender: bob, type: "m.room.message", content: { msgtype: "m.text", body: "hello alice" } }] });
    expect(woken.rooms.join[dm].state.events).toEqual([]);
  });

  it("a long-poll with nothing new answers after its timeout with empty fields and the same position", async () => {
    const { next_batch } = await sync(token);
    const started = Date.now();
    const idle = await sync(token, `since=${next_batch}&timeout=300`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(idle).toMatchObject({ next_batch, rooms: { join: {}, invite: {}, leave: {} }, account_data: { events: [] } });
  });

  it("a since token returns only what is newer; an old token replayed returns the same events again, so nothing is lost or doubled", async () => {
    const { next_batch: from } = await sync(token);
    const one = hs.say(bob, dm, "one");
    const two = hs.say(bob, dm, "two");
    const after = await sync(token, `since=${from}`);
    expect(after.rooms.join[dm].timeline.events.map((e: any) => e.event_id)).toEqual([one, two]);
    const again = await sync(token, `since=${from}`);
    expect(again.rooms.join[dm].timeline.events.map((e: any) => e.event_id)).toEqual([one, two]);
    const later = await sync(token, `since=${after.next_batch}`);
    expect(later.rooms.join).toEqual({});
  });

  it("a limited timeline gives prev_batch and a state delta; /messages from prev_batch fills the gap", async () => {
    const { next_batch: from } = await sync(token);
    const sent = Array.from({ length: 3 }, (_, i) => hs.say(bob, dm, `m${i}`));
    hs.invite(dm, bob, carol);
    const inviteId = hs.timeline(dm).at(-1)!.event_id as string;
    sent.push(inviteId, ...Array.from({ length: 3 }, (_, i) => hs.say(bob, dm, `m${i + 3}`)));
    const filter = JSON.stringify({ room: { timeline: { limit: 2 } } });
    const got = await sync(token, `since=${from}&filter=${enc(filter)}`);
    const timeline = got.rooms.join[dm].timeline;
    expect(timeline.limited).toBe(true);
    expect(timeline.events.map((e: any) => e.event_id)).toEqual(sent.slice(5));
    // The state delta over the gap: carol's invite, which the client did not see in the timeline.
    expect(got.rooms.join[dm].state.events).toEqual([expect.objectContaining({ event_id: inviteId, type: "m.room.member", state_key: carol, content: expect.objectContaining({ membership: "invite" }) })]);
    const gap = await call(cs(`/rooms/${enc(dm)}/messages?dir=b&from=${timeline.prev_batch}&to=${from}&limit=10`), { token });
    expect(gap.status).toBe(200);
    expect(gap.body.chunk.map((e: any) => e.event_id)).toEqual(sent.slice(0, 5).reverse());
    expect(gap.body.chunk[0].room_id).toBe(dm);
    expect(gap.body.end).toBeUndefined();
  });

  it("full_state returns the room's whole state even with a since token", async () => {
    const { next_batch } = await sync(token);
    const full = await sync(token, `since=${next_batch}&full_state=true&timeout=5000`);
    const types = full.rooms.join[dm].state.events.map((e: any) => e.type);
    expect(types).toEqual(expect.arrayContaining(["m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules"]));
  });

  it("a filter uploaded by id works like the inline one; a filter for someone else is refused", async () => {
    const up = await call(cs(`/user/${enc(alice)}/filter`), { token, body: { room: { timeline: { limit: 1, types: ["m.room.message"] } } } });
    expect(up).toMatchObject({ status: 200, body: { filter_id: expect.any(String) } });
    expect((await call(cs(`/user/${enc(alice)}/filter/${up.body.filter_id}`), { token })).body).toEqual({ room: { timeline: { limit: 1, types: ["m.room.message"] } } });
    const last = hs.say(bob, dm, "newest");
    const got = await sync(token, `filter=${up.body.filter_id}`);
    expect(got.rooms.join[dm].timeline.events.map((e: any) => e.event_id)).toEqual([last]);
    expect(await call(cs(`/user/${enc(bob)}/filter`), { token, body: {} })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
  });

  it("refuses bad sync parameters: filter JSON, filter types, unknown filter, since token, timeout, full_state", async () => {
    expect((await call(cs(`/sync?filter=${enc("{oops")}`), { token })).body).toEqual({ errcode: "M_NOT_JSON", error: "Invalid filter JSON" });
    expect(await call(cs(`/sync?filter=${enc('{"room":{"timeline":{"limit":"ten"}}}')}`), { token })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON", error: "filter.room.timeline.limit must be an integer greater than 0" } });
    expect(await call(cs(`/sync?filter=${enc('{"room":{"rooms":"!x:y"}}')}`), { token })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON" } });
    expect(await call(cs("/sync?filter=999"), { token })).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND", error: "No such filter" } });
    expect(await call(cs("/sync?since=garbage"), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await call(cs("/sync?timeout=soon"), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await call(cs("/sync?full_state=yes"), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await call(cs("/sync?set_presence=busy"), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
  });

  it("an invite shows in rooms.invite with stripped state; joining moves the room to rooms.join; a kick moves it to rooms.leave", async () => {
    const room = hs.createRoom({ creator: bob, name: "Book club" });
    const { next_batch } = await sync(token);
    hs.invite(room, bob, alice);
    const invited = await sync(token, `since=${next_batch}&timeout=2000`);
    expect(invited.rooms.invite[room].invite_state.events).toEqual(
      expect.arrayContaining([
        { type: "m.room.name", state_key: "", sender: bob, content: { name: "Book club" } },
        { type: "m.room.member", state_key: alice, sender: bob, content: { membership: "invite", displayname: "Alice" } },
      ]),
    );
    expect(await call(cs(`/rooms/${enc(room)}/join`), { token, body: {} })).toMatchObject({ status: 200, body: { room_id: room } });
    const joined = await sync(token, `since=${invited.next_batch}`);
    // A room newly joined comes with its state; here all of it fits in the timeline, so `state` is empty (spec, "Syncing").
    const seen = [...joined.rooms.join[room].state.events, ...joined.rooms.join[room].timeline.events];
    expect(seen.map((e: any) => e.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.name"]));
    expect(seen.at(-1)).toMatchObject({ type: "m.room.member", state_key: alice, content: { membership: "join" } });
    hs.kick(room, alice, bob);
    const left = await sync(token, `since=${joined.next_batch}`);
    expect(left.rooms.leave[room].timeline.events.at(-1)).toMatchObject({ type: "m.room.member", state_key: alice, content: { membership: "leave" } });
    expect(await call(cs(`/rooms/${enc(room)}/join`), { token, body: {} })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN", error: "You are not invited to this room." } });
    expect(await call(cs(`/join/${enc("!nowhere:hs.test")}`), { token, body: {} })).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND" } });
  });

  it("an encrypted room has m.room.encryption state and delivers m.room.encrypted ciphertext", async () => {
    const secret = hs.createRoom({ creator: bob, members: [alice], encrypted: true });
    const { next_batch } = await sync(token);
    const eventId = hs.say(bob, secret, "you cannot read this");
    const got = await sync(token, `since=${next_batch}`);
    expect(got.rooms.join[secret].timeline.events).toEqual([
      expect.objectContaining({ event_id: eventId, type: "m.room.encrypted", content: { algorithm: "m.megolm.v1.aes-sha2", ciphertext: expect.any(String), device_id: expect.any(String), sender_key: expect.any(String), session_id: expect.any(String) } }),
    ]);
    expect(JSON.stringify(got)).not.toContain("you cannot read this");
    expect((await call(cs(`/rooms/${enc(secret)}/state/m.room.encryption`), { token })).body).toEqual({ algorithm: "m.megolm.v1.aes-sha2" });
  });
});

describe("sending", () => {
  let token: string;
  let room: string;

  beforeAll(() => {
    token = hs.tokenFor(alice, "SENDER");
    room = hs.createRoom({ creator: alice, members: [bob], name: "Plans" });
  });

  it("PUT send with a txnId posts once: a retransmission returns the same event_id", async () => {
    const path = cs(`/rooms/${enc(room)}/send/m.room.message/txn-1`);
    const first = await call(path, { token, method: "PUT", body: { msgtype: "m.text", body: "hi bob" } });
    const again = await call(path, { token, method: "PUT", body: { msgtype: "m.text", body: "hi bob" } });
    expect(first).toMatchObject({ status: 200, body: { event_id: expect.stringMatching(/^\$/) } });
    expect(again.body).toEqual(first.body);
    expect(hs.timeline(room).filter((e) => (e.content as any).body === "hi bob")).toHaveLength(1);
  });

  it("the same txnId from another device is a new event; only the sending device sees unsigned.transaction_id", async () => {
    const other = hs.tokenFor(alice, "OTHER");
    const path = cs(`/rooms/${enc(room)}/send/m.room.message/txn-2`);
    const a = await call(path, { token, method: "PUT", body: { msgtype: "m.text", body: "twice" } });
    const b = await call(path, { token: other, method: "PUT", body: { msgtype: "m.text", body: "twice" } });
    expect(a.body.event_id).not.toBe(b.body.event_id);
    const mine = (await sync(token)).rooms.join[room].timeline.events.find((e: any) => e.event_id === a.body.event_id);
    expect(mine.unsigned.transaction_id).toBe("txn-2");
    const theirs = (await sync(other)).rooms.join[room].timeline.events.find((e: any) => e.event_id === a.body.event_id);
    expect(theirs.unsigned.transaction_id).toBeUndefined();
  });

  it("refuses sending to a room one is not in, an unknown room, a bad room id, and bodies that are not a JSON object", async () => {
    const closed = hs.createRoom({ creator: bob });
    const put = (roomId: string, body: { body?: unknown; raw?: string }) => call(cs(`/rooms/${enc(roomId)}/send/m.room.message/t${Math.random()}`), { token, method: "PUT", ...body });
    expect((await put(closed, { body: { body: "x" } })).body).toEqual({ errcode: "M_FORBIDDEN", error: `User ${alice} not in room ${closed}` });
    expect(await put("!missing:hs.test", { body: { body: "x" } })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    expect(await put("general", { body: { body: "x" } })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await put(room, { raw: "not json" })).toMatchObject({ status: 400, body: { errcode: "M_NOT_JSON" } });
    expect(await put(room, { body: ["an", "array"] })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON", error: "Content must be a JSON object." } });
    expect(await put(room, { body: { body: "x".repeat(70_000) } })).toMatchObject({ status: 413, body: { errcode: "M_TOO_LARGE" } });
  });
});

describe("receipts and read markers", () => {
  let aliceToken: string;
  let bobToken: string;
  let room: string;

  beforeAll(() => {
    aliceToken = hs.tokenFor(alice);
    bobToken = hs.tokenFor(bob);
    room = hs.createRoom({ creator: alice, members: [bob] });
  });

  it("a receipt the client posts reaches the other member's sync ephemeral in the spec's m.receipt shape", async () => {
    const eventId = hs.say(bob, room, "read me");
    const { next_batch } = await sync(bobToken);
    expect(await call(cs(`/rooms/${enc(room)}/receipt/m.read/${enc(eventId)}`), { token: aliceToken, body: {} })).toMatchObject({ status: 200, body: {} });
    const got = await sync(bobToken, `since=${next_batch}&timeout=2000`);
    expect(got.rooms.join[room].ephemeral.events).toEqual([{ type: "m.receipt", content: { [eventId]: { "m.read": { [alice]: { ts: expect.any(Number) } } } } }]);
    expect(hs.receipts(room)).toContainEqual({ userId: alice, type: "m.read", eventId, ts: expect.any(Number) });
  });

  it("a remote reader's receipt (readAs) wakes the client's long-poll; a private receipt is seen only by its owner", async () => {
    const eventId = hs.say(alice, room, "did you read it?");
    const { next_batch } = await sync(aliceToken);
    const pending = sync(aliceToken, `since=${next_batch}&timeout=5000`);
    hs.readAs(bob, room, eventId);
    expect((await pending).rooms.join[room].ephemeral.events[0].content[eventId]["m.read"][bob]).toEqual({ ts: expect.any(Number) });
    const later = hs.say(alice, room, "and this?");
    const { next_batch: mark } = await sync(aliceToken);
    await call(cs(`/rooms/${enc(room)}/receipt/m.read.private/${enc(later)}`), { token: bobToken, body: { thread_id: "main" } });
    expect((await sync(aliceToken, `since=${mark}`)).rooms.join[room]).toBeUndefined();
    const own = await sync(bobToken);
    expect(own.rooms.join[room].ephemeral.events[0].content[later]).toEqual({ "m.read.private": { [bob]: { ts: expect.any(Number), thread_id: "main" } } });
  });

  it("read_markers sets m.fully_read in the room's account_data and the m.read receipt", async () => {
    const eventId = hs.say(bob, room, "marker");
    expect(await call(cs(`/rooms/${enc(room)}/read_markers`), { token: aliceToken, body: { "m.fully_read": eventId, "m.read": eventId } })).toMatchObject({ status: 200, body: {} });
    const got = await sync(aliceToken);
    expect(got.rooms.join[room].account_data.events).toContainEqual({ type: "m.fully_read", content: { event_id: eventId } });
    expect(got.rooms.join[room].unread_notifications.notification_count).toBe(0);
  });

  it("refuses an unknown receipt type, a bad thread_id, an event not in the room, and a room one is not in", async () => {
    const eventId = hs.say(bob, room, "x");
    const post = (type: string, id: string, body: unknown, roomId = room) => call(cs(`/rooms/${enc(roomId)}/receipt/${type}/${enc(id)}`), { token: aliceToken, body });
    expect((await post("m.seen", eventId, {})).body).toEqual({ errcode: "M_INVALID_PARAM", error: "Receipt type not recognized: m.seen" });
    expect((await post("m.read", eventId, { thread_id: "" })).body).toEqual({ errcode: "M_INVALID_PARAM", error: "thread_id field must be a non-empty string" });
    expect(await post("m.read", eventId, { thread_id: 5 })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await post("m.read", "$nope", {})).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND" } });
    expect(await post("m.read", eventId, {}, hs.createRoom({ creator: bob }))).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    expect(await call(cs(`/rooms/${enc(room)}/read_markers`), { token: aliceToken, body: { "m.fully_read": 12 } })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON" } });
  });
});

describe("rooms, history and profiles", () => {
  let token: string;
  let room: string;

  beforeAll(() => {
    token = hs.tokenFor(alice);
    room = hs.createRoom({ creator: bob, members: [alice, carol], name: "Trip" });
  });

  it("joined_rooms, joined_members, state and state/{type}/{key}", async () => {
    expect((await call(cs("/joined_rooms"), { token })).body.joined_rooms).toContain(room);
    expect((await call(cs(`/rooms/${enc(room)}/joined_members`), { token })).body).toEqual({
      joined: { [bob]: { display_name: "Bob" }, [alice]: { display_name: "Alice" }, [carol]: { display_name: "Carol" } },
    });
    const state = (await call(cs(`/rooms/${enc(room)}/state`), { token })).body;
    expect(state.find((e: any) => e.type === "m.room.name")).toMatchObject({ room_id: room, state_key: "", content: { name: "Trip" } });
    expect((await call(cs(`/rooms/${enc(room)}/state/m.room.name/`), { token })).body).toEqual({ name: "Trip" });
    expect((await call(cs(`/rooms/${enc(room)}/state/m.room.member/${enc(carol)}`), { token })).body).toEqual({ membership: "join", displayname: "Carol" });
    expect((await call(cs(`/rooms/${enc(room)}/state/m.room.name?format=event`), { token })).body).toMatchObject({ type: "m.room.name", sender: bob, room_id: room });
    expect((await call(cs(`/rooms/${enc(room)}/state/m.room.encryption`), { token })).body).toEqual({ errcode: "M_NOT_FOUND", error: "Event not found." });
  });

  it("/messages pages backwards and forwards with from, dir and limit", async () => {
    const ids = ["a", "b", "c"].map((t) => hs.say(carol, room, t));
    const back = await call(cs(`/rooms/${enc(room)}/messages?dir=b&limit=2`), { token });
    expect(back.body.chunk.map((e: any) => e.event_id)).toEqual([ids[2], ids[1]]);
    const older = await call(cs(`/rooms/${enc(room)}/messages?dir=b&limit=1&from=${back.body.end}`), { token });
    expect(older.body.chunk.map((e: any) => e.event_id)).toEqual([ids[0]]);
    const forward = await call(cs(`/rooms/${enc(room)}/messages?dir=f&from=${older.body.end}&limit=5`), { token });
    expect(forward.body.chunk.map((e: any) => e.event_id)).toEqual(ids);
    expect(forward.body.end).toBeUndefined();
  });

  it("refuses /messages without dir or with a bad one, and every room read for a room one is not in", async () => {
    expect((await call(cs(`/rooms/${enc(room)}/messages`), { token })).body).toEqual({ errcode: "M_MISSING_PARAM", error: "Missing string query parameter 'dir'" });
    expect(await call(cs(`/rooms/${enc(room)}/messages?dir=up`), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    expect(await call(cs(`/rooms/${enc(room)}/messages?dir=b&from=xyz`), { token })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_PARAM" } });
    const closed = hs.createRoom({ creator: bob });
    for (const path of ["/messages?dir=b", "/state", "/state/m.room.name", "/joined_members"]) {
      expect(await call(cs(`/rooms/${enc(closed)}${path}`), { token })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    }
  });

  it("profiles: 200 with displayname, 404 M_NOT_FOUND for nobody", async () => {
    expect(await call(cs(`/profile/${enc(bob)}`))).toMatchObject({ status: 200, body: { displayname: "Bob" } });
    expect((await call(cs(`/profile/${enc("@nobody:hs.test")}`))).body).toEqual({ errcode: "M_NOT_FOUND", error: "Profile not found" });
  });
});

describe("media", () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

  it("upload returns an mxc:// URI; the authenticated download returns the bytes, type and file name", async () => {
    const token = hs.tokenFor(alice);
    const up = await call("/_matrix/media/v3/upload?filename=cat.png", { token, method: "POST", raw: png, headers: { "content-type": "image/png" } });
    expect(up).toMatchObject({ status: 200, body: { content_uri: expect.stringMatching(/^mxc:\/\/hs\.test\/[\w-]+$/) } });
    const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(up.body.content_uri)!;
    const res = await fetch(`${hs.url}/_matrix/client/v1/media/download/${server}/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe('inline; filename="cat.png"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    expect(hs.media(up.body.content_uri)?.bytes).toEqual(Buffer.from(png));
  });

  it("a media someone else posted downloads too; an unknown type defaults to octet-stream served as attachment", async () => {
    const token = hs.tokenFor(alice);
    const mxc = hs.upload(new Uint8Array([1, 2, 3]), "text/html", "page.html");
    const res = await fetch(`${hs.url}/_matrix/client/v1/media/download/${mxc.slice(6)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="page.html"');
    const bare = await call("/_matrix/media/v3/upload", { token, method: "POST", raw: new Uint8Array([9]) });
    const again = await fetch(`${hs.url}/_matrix/client/v1/media/download/${bare.body.content_uri.slice(6)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.headers.get("content-type")).toBe("application/octet-stream");
  });

  it("refuses downloads without a token, of unknown media, and through the frozen legacy endpoint", async () => {
    const mxc = hs.upload(png, "image/png");
    expect(await call(`/_matrix/client/v1/media/download/${mxc.slice(6)}`)).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
    expect(await call(`/_matrix/client/v1/media/download/hs.test/nothing`, { token: hs.tokenFor(alice) })).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND" } });
    expect(await call(`/_matrix/media/v3/download/${mxc.slice(6)}`)).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND", error: "Not found" } });
    expect(await call("/_matrix/media/v3/upload", { method: "POST", raw: png })).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
  });

  it("serves the legacy download when told to, and refuses an upload over the size limit with 413 M_TOO_LARGE", async () => {
    const small = await startFakeMatrix({ legacyMedia: "served", maxUploadBytes: 8 });
    try {
      const user = small.addUser("eve", "pw").userId;
      const mxc = small.upload(png, "image/png");
      expect((await fetch(`${small.url}/_matrix/media/v3/download/${mxc.slice(6)}`)).status).toBe(200);
      const res = await fetch(`${small.url}/_matrix/media/v3/upload`, { method: "POST", body: png, headers: { authorization: `Bearer ${small.tokenFor(user)}` } });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ errcode: "M_TOO_LARGE", error: "Upload request body is too large" });
    } finally {
      await small.stop();
    }
  });
});

describe("rate limits and outages", () => {
  afterEach(() => hs.up());

  it("limitNext: 429 M_LIMIT_EXCEEDED with retry_after_ms and a Retry-After header in seconds, then normal service", async () => {
    const token = hs.tokenFor(alice);
    hs.limitNext(2, 1500);
    for (let i = 0; i < 2; i++) {
      const limited = await call(cs("/account/whoami"), { token });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 1500 });
      expect(limited.headers.get("retry-after")).toBe("2");
    }
    expect((await call(cs("/account/whoami"), { token })).status).toBe(200);
  });

  it("down(): the proxy answers 502 with its HTML page, also to a long-poll already waiting; up() restores service", async () => {
    const token = hs.tokenFor(alice);
    const { next_batch } = await sync(token);
    const waiting = call(cs(`/sync?since=${next_batch}&timeout=5000`), { token });
    await new Promise((r) => setTimeout(r, 100));
    hs.down();
    const cut = await waiting;
    expect(cut.status).toBe(502);
    expect(cut.body).toContain("502 Bad Gateway");
    const during = await call(cs("/account/whoami"), { token });
    expect(during.status).toBe(502);
    expect(during.headers.get("content-type")).toBe("text/html");
    hs.up();
    expect((await call(cs("/account/whoami"), { token })).status).toBe(200);
  });

  it("down('reset'): connections fail outright, as for a dead host", async () => {
    hs.down("reset");
    await expect(fetch(`${hs.url}/_matrix/client/versions`)).rejects.toThrow();
    hs.up();
    expect((await fetch(`${hs.url}/_matrix/client/versions`)).status).toBe(200);
  });
});

describe("account data", () => {
  it("GET /user/{userId}/account_data/{type} returns the content (m.direct after a direct room), 404 M_NOT_FOUND for none, 403 for someone else's", async () => {
    const token = hs.tokenFor(alice);
    const dm = hs.createRoom({ creator: bob, members: [alice], direct: true });
    const direct = await call(cs(`/user/${enc(alice)}/account_data/m.direct`), { token });
    expect(direct.status).toBe(200);
    expect(direct.body[bob]).toContain(dm);
    expect(await call(cs(`/user/${enc(alice)}/account_data/org.example.none`), { token })).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND" } });
    expect(await call(cs(`/user/${enc(bob)}/account_data/m.direct`), { token })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
  });

  it("PUT stores a JSON object that the next sync reports; refuses non-objects, server-controlled types and other users", async () => {
    const token = hs.tokenFor(alice);
    const { next_batch } = await sync(token);
    expect(await call(cs(`/user/${enc(alice)}/account_data/org.example.cfg`), { token, method: "PUT", body: { theme: "dark" } })).toMatchObject({ status: 200, body: {} });
    const after = await sync(token, `since=${next_batch}`);
    expect(after.account_data.events).toEqual([{ type: "org.example.cfg", content: { theme: "dark" } }]);
    expect((await call(cs(`/user/${enc(alice)}/account_data/org.example.cfg`), { token })).body).toEqual({ theme: "dark" });
    expect(await call(cs(`/user/${enc(alice)}/account_data/org.example.cfg`), { token, method: "PUT", body: [1] })).toMatchObject({ status: 400, body: { errcode: "M_BAD_JSON" } });
    expect(await call(cs(`/user/${enc(alice)}/account_data/m.fully_read`), { token, method: "PUT", body: {} })).toMatchObject({ status: 405, body: { errcode: "M_BAD_JSON" } });
    expect(await call(cs(`/user/${enc(bob)}/account_data/org.example.cfg`), { token, method: "PUT", body: {} })).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
  });
});
