// Bad input against a real `wrangler dev`, over real HTTP and WebSocket: never a 500,
// never a socket closed except 1009 for an oversized frame, no uncaught exception in
// the server's log, and afterwards the same user still sends and receives.
import fc from "fast-check";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeFriends, type Session, signUp } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";

const RUNS = Number(process.env.FUZZ_RUNS || 120);
let server: DevServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  server = await startDevServer();
  alice = await signUp(server.url, "fzsa");
  bob = await signUp(server.url, "fzsb");
  await makeFriends(server.url, alice, bob);
});
afterAll(async () => {
  await server?.stop();
});

const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer({ min: 100, max: 5000 }).map((n) => "{".repeat(n)),
  fc.constantFrom("", "null", "[]", '{"handle":1e999}', '{"t":"send","id":"' + "x".repeat(100) + '"}'),
);

/** A socket that resolves frames as they come; `probe` proves the hub still answers. */
async function openSocket(token: string) {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/ws`, { headers: { Authorization: `Bearer ${token}` } });
  const frames: { t: string; code?: string; id?: string }[] = [];
  let closed: number | null = null;
  ws.on("message", (d) => d.toString() !== "pong" && frames.push(JSON.parse(d.toString())));
  ws.on("close", (code) => (closed = code));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ t: "hello", resume: 0 }));
  const waitFor = async (pred: (f: { t: string; code?: string; id?: string }) => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const i = frames.findIndex(pred);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      if (closed !== null) throw new Error(`closed ${closed}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`timeout; have ${JSON.stringify(frames).slice(0, 300)}`);
  };
  await waitFor((f) => f.t === "ready");
  return { ws, frames, waitFor, closed: () => closed };
}

describe("bad input against wrangler dev", () => {
  it("answers random HTTP bodies on every route without a 500", async () => {
    const routes: [string, string][] = [
      ["POST", "/api/auth/register"], ["POST", "/api/auth/login"], ["POST", "/api/friends/requests"],
      ["POST", "/api/friends/requests/fr_x/accept"], ["POST", "/api/groups"], ["POST", "/api/groups/g_x/members"],
      ["GET", "/api/conversations/%00/messages"], ["DELETE", "/api/friends/u_x"], ["POST", "/api/media"],
      ["POST", "/api/push/subscriptions"], ["DELETE", "/api/push/subscriptions"],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), junk, async ([method, path], body) => {
        const res = await fetch(server.url + path, {
          method,
          headers: { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" },
          body: method === "GET" ? undefined : body,
        });
        expect(res.status, `${method} ${path} ${body.slice(0, 80)}`).toBeLessThan(500);
        const data = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        if (res.status >= 400) expect(data?.error?.code, `${method} ${path}`).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps the socket open through random frames, closes only with 1009 for oversize, and still delivers", async () => {
    let sock = await openSocket(alice.token);
    await fc.assert(
      fc.asyncProperty(junk, async (frame) => {
        sock.ws.send(frame);
        sock.ws.send(JSON.stringify({ t: "ack", seq: 10 ** 12 }));
        await sock.waitFor((f) => f.t === "error" && f.code === "invalid_ack");
        expect(sock.frames.filter((f) => f.code === "internal")).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    // Far past our 64 KB limit and the runtime's message limit: only 1009 may close it.
    for (const size of [70 * 1024, 2 * 1024 * 1024]) {
      sock.ws.send("x".repeat(size));
      sock.ws.send(JSON.stringify({ t: "ack", seq: 10 ** 12 }));
      try {
        await sock.waitFor((f) => f.t === "error" && f.code === "invalid_ack");
      } catch {
        expect(sock.closed()).toBe(1009);
        sock = await openSocket(alice.token);
      }
    }
    const receiver = await openSocket(bob.token);
    sock.ws.send(JSON.stringify({ t: "send", id: "after-fuzz", to: { user: bob.id }, body: { type: "text", text: "still here" } }));
    await sock.waitFor((f) => f.t === "accepted" && f.id === "after-fuzz");
    await receiver.waitFor((f) => f.t === "ev" && JSON.stringify(f).includes("still here"));
    sock.ws.close();
    receiver.ws.close();
    expect((await call(server.url, "/api/me", { token: alice.token })).user.id).toBe(alice.id);
  });

  it("logged no uncaught exception and no 500", () => {
    const log = server.logs();
    // The log does carry every request with its status, so the checks below can fail.
    expect(log).toMatch(/\[wrangler:info\] POST \/api\/auth\/register 201/);
    expect(log).not.toMatch(/Uncaught|unhandled rejection|Error in Worker fetch|Error in UserHub webSocketMessage/i);
    expect(log).not.toMatch(/\s500\s/);
  });
});
