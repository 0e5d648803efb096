// Web Push against a real `wrangler dev` and a push service on 127.0.0.1 that checks and
// decrypts what it gets (test/support/push-service.ts): a user with no socket open gets
// messages and friend requests as pushes; with a socket open, none; a subscription the
// push service says is gone is forgotten; a busy push service is retried.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeFriends, type Session, signUp } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { PushService } from "../support/push-service";

let server: DevServer;
let service: PushService;
let alice: Session;
let bob: Session;
let aliceSocket: WebSocket;

async function open(token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/ws`, { headers: { Authorization: `Bearer ${token}` } });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const ready = new Promise((resolve) => ws.on("message", (d) => String(d).startsWith('{"t":"ready"') && resolve(undefined)));
  ws.send(JSON.stringify({ t: "hello", fresh: true }));
  await ready;
  return ws;
}

let sent = 0;
/** Alice writes to Bob and waits for `accepted`. */
async function write(text: string): Promise<void> {
  const id = `push-${++sent}`;
  const accepted = new Promise<void>((resolve) => {
    const onFrame = (d: WebSocket.RawData) => {
      if (String(d).includes('"accepted"') && String(d).includes(id)) {
        aliceSocket.off("message", onFrame);
        resolve();
      }
    };
    aliceSocket.on("message", onFrame);
  });
  aliceSocket.send(JSON.stringify({ t: "send", id, to: { user: bob.id }, body: { type: "text", text } }));
  await accepted;
}

const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await settle(50);
  }
}

beforeAll(async () => {
  server = await startDevServer();
  [alice, bob] = [await signUp(server.url, "pusha"), await signUp(server.url, "pushb")];
  await makeFriends(server.url, alice, bob);
  const { key } = await call(server.url, "/api/push/key", { token: bob.token });
  service = await new PushService(key).start();
  aliceSocket = await open(alice.token);
});

afterAll(async () => {
  aliceSocket?.close();
  await service?.stop();
  await server?.stop();
});

describe("Web Push", () => {
  it("pushes a message to a user with no socket open, encrypted and signed as the RFCs say", async () => {
    const phone = service.subscribe("bob-phone");
    await call(server.url, "/api/push/subscriptions", { token: bob.token, json: { ...phone, expirationTime: null } });
    await write("Are we still on for Saturday? 🌲");

    const got = await until(() => service.for(phone.endpoint)[0]);
    expect(service.problems).toEqual([]);
    expect(got.payload).toEqual({ v: 1, type: "message", conv: expect.stringMatching(/^d:/), title: "pusha", kind: "text", text: "Are we still on for Saturday? 🌲", at: expect.any(Number) });
    expect(got.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(got.headers.urgency).toBe("high");
  });

  it("does not push while a socket is open, and pushes again once it is closed", async () => {
    const phone = service.subscribe("bob-phone");
    const before = service.for(phone.endpoint).length;
    const bobSocket = await open(bob.token);
    await write("you are here, no push");
    await settle();
    expect(service.for(phone.endpoint).length).toBe(before);

    bobSocket.close();
    await settle(300);
    await write("gone again");
    const got = await until(() => service.for(phone.endpoint)[before]);
    expect(got.payload).toMatchObject({ type: "message", text: "gone again" });
  });

  it("pushes a friend request with its verification message", async () => {
    const phone = service.subscribe("bob-phone");
    const before = service.for(phone.endpoint).length;
    const carol = await signUp(server.url, "pushc");
    await call(server.url, "/api/friends/requests", { token: carol.token, json: { to: bob.handle, message: "Carol from the climbing gym" } });
    const got = await until(() => service.for(phone.endpoint)[before]);
    expect(got.payload).toEqual({ v: 1, type: "friend.request", title: "pushc", text: "Carol from the climbing gym", at: expect.any(Number) });
  });

  it("retries a push service that is busy, and forgets a subscription it says is gone", async () => {
    const tablet = service.subscribe("bob-tablet");
    await call(server.url, "/api/push/subscriptions", { token: bob.token, json: tablet });
    service.answer(tablet.endpoint, 503);
    await write("retried");
    const got = await until(() => service.for(tablet.endpoint).find((r) => (r.payload as { text?: string }).text === "retried"));
    expect(got).toBeDefined();
    expect(service.requests.filter((r) => r.endpoint === tablet.endpoint).map((r) => r.status)).toEqual([503, 201]);

    // The tablet's browser unsubscribed: the push service answers 410, and that is the last request it gets.
    service.answer(tablet.endpoint, 410);
    await write("to a gone tablet");
    await until(() => (service.requests.some((r) => r.endpoint === tablet.endpoint && r.status === 410) ? true : undefined));
    const requestsToTablet = service.requests.filter((r) => r.endpoint === tablet.endpoint).length;
    await write("after it was gone");
    const phone = service.subscribe("bob-phone");
    await until(() => service.for(phone.endpoint).find((r) => (r.payload as { text?: string }).text === "after it was gone"));
    expect(service.requests.filter((r) => r.endpoint === tablet.endpoint).length).toBe(requestsToTablet);
    expect(service.problems).toEqual([]);
  });

  it("stops pushing to a browser that unsubscribed", async () => {
    const phone = service.subscribe("bob-phone");
    const removed = await call(server.url, "/api/push/subscriptions", { method: "DELETE", token: bob.token, json: { endpoint: phone.endpoint } });
    expect(removed).toEqual({ ok: true, removed: true });
    const before = service.requests.length;
    await write("nobody is subscribed");
    await settle();
    expect(service.requests.length).toBe(before);
  });
});
