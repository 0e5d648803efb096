// End to end against a real `wrangler dev`: users exchange 1,000 messages while sockets
// are cut at random and the server is restarted midway with the same state. The long
// version (10,000 messages) is `npm run chaos`.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../core/protocol";
import { failures, runChaos } from "../chaos/driver";
import { call, makeFriends, signUp } from "../chaos/http";
import { readRoomLog } from "../chaos/room-socket";
import { type DevServer, startDevServer } from "../support/dev-server";

let server: DevServer;
beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("1,000 messages through cuts and a restart", () => {
  it("delivers every message exactly once, in order, each send accepted", async () => {
    const report = await runChaos(server, { users: 2, messages: 1000, cutEveryMs: 250, minCuts: 8, restartAt: 0.5, log: (l) => console.log(`[chaos] ${l}`) });
    console.log(`[chaos] report ${JSON.stringify({ ...report, violations: report.violations.length })}`);
    expect(failures(report)).toEqual([]);
    expect(report.delivered).toBe(1000);
    expect(report.restarted).toBe(true);
    expect(report.cuts).toBeGreaterThan(5);
    expect(report.reconnects).toBeGreaterThan(5);
  });

  it("keeps one group order for every member through cuts and a restart", async () => {
    const report = await runChaos(server, { users: 3, messages: 600, cutEveryMs: 250, minCuts: 8, restartAt: 0.5, group: true, log: (l) => console.log(`[chaos group] ${l}`) });
    console.log(`[chaos group] report ${JSON.stringify({ ...report, violations: report.violations.length })}`);
    expect(failures(report)).toEqual([]);
    // 300 direct (each user to the next) + 300 group messages to 3 members each.
    expect(report.delivered).toBe(300 + 300 * 3);
    expect(report.restarted).toBe(true);
    // The room sockets carried the group, were cut, and some sends went on both sockets.
    expect(report.roomSockets).toBe("used");
    expect(report.groupVia.room).toBeGreaterThan(0);
    expect(report.roomCuts).toBeGreaterThan(5);
    expect(report.crossPath).toBeGreaterThan(0);
  });
});

describe("a group send retried on the other socket", () => {
  it("is one message, with one id, whichever socket it went on first", async () => {
    const [alice, bob] = [await signUp(server.url, "retry_a"), await signUp(server.url, "retry_b")];
    await makeFriends(server.url, alice, bob);
    const { group } = await call(server.url, "/api/groups", { token: alice.token, json: { name: "retry", members: [bob.id], ttlHours: 1 } });
    const paths = { hub: "/api/ws", room: `/api/groups/${group.id}/ws` };
    const ids: Record<string, string[]> = {};
    for (const [first, then] of [["room", "hub"], ["hub", "room"]] as const) {
      const id = `retry-${first}-first`;
      const send = { t: "send", id, to: { group: group.id }, body: { type: "text", text: id } };
      // Cut the moment the frame is written: the server may or may not have taken it.
      const cut = await openSocket(server.url + paths[first], alice.token);
      await new Promise<void>((resolve) => cut.ws.send(JSON.stringify(send), () => resolve()));
      cut.ws.terminate();
      for (const path of [then, first]) {
        const s = await openSocket(server.url + paths[path], alice.token);
        s.ws.send(JSON.stringify(send));
        const answer = await s.next((f) => (f.t === "accepted" || f.t === "error") && f.id === id);
        s.ws.close();
        expect(answer.t, JSON.stringify(answer)).toBe("accepted");
        (ids[id] ??= []).push((answer as { msgId: string }).msgId);
      }
    }
    for (const [id, msgIds] of Object.entries(ids)) expect(new Set(msgIds).size, `${id}: ${msgIds}`).toBe(1);
    // The room's log, as each member's room socket replays it: each send once.
    for (const who of [alice, bob]) {
      const log = await readRoomLog(server.url, who.token, group.id);
      expect([...log!.keys()].sort()).toEqual(Object.values(ids).map((m) => m[0]).sort());
    }
  });
});

describe("a room socket that dies before its device read anything", () => {
  // What chaos found (lost group messages, each for a member whose room socket said hello
  // fresh twice): the room counts an entry written to a socket as reached, so the hub
  // stores it quietly (no ev on /api/ws); the device, still without a cursor, says hello
  // fresh again, which replays only what the hub does not hold. Nothing brings it live.
  it("leaves nothing that the device's next sockets never bring", async () => {
    const [alice, bob] = [await signUp(server.url, "dead_a"), await signUp(server.url, "dead_b")];
    await makeFriends(server.url, alice, bob);
    const { group } = await call(server.url, "/api/groups", { token: alice.token, json: { name: "dead", members: [bob.id], ttlHours: 1 } });
    const room = `${server.url}/api/groups/${group.id}/ws`;
    const hub = await openSocket(`${server.url}/api/ws`, bob.token);
    const sender = await openSocket(room, alice.token);
    // Bob's device dials the room; the link dies before any frame reaches it (its `ready` included).
    const dying = await openSocket(room, bob.token);
    for (const n of [1, 2]) {
      sender.ws.send(JSON.stringify({ t: "send", id: `in-flight-${n}`, to: { group: group.id }, body: { type: "text", text: `in flight ${n}` } }));
      await sender.next((f) => f.t === "accepted" && f.id === `in-flight-${n}`);
    }
    await dying.next((f) => f.t === "ev" && f.ev.type === "message" && f.ev.msg.body.type === "text" && f.ev.msg.body.text === "in flight 2");
    dying.ws.terminate();
    // Offline a little longer than the ack grace (GROUP_ACK_GRACE_MS, 2 s), then, still
    // without a cursor, the next room socket says hello fresh.
    await new Promise((r) => setTimeout(r, 3000));
    const next = await openSocket(room, bob.token);
    const texts = (frames: ServerFrame[]) => frames.flatMap((f) => (f.t === "ev" && f.ev.type === "message" && f.ev.msg.body.type === "text" ? [f.ev.msg.body.text] : []));
    await new Promise((r) => setTimeout(r, 3000));
    const got = new Set([...texts(hub.frames), ...texts(next.frames)]);
    for (const s of [hub, sender, next]) s.ws.close();
    expect([...got].sort()).toEqual(["in flight 1", "in flight 2"]);
  });
});

/** A socket past its `ready` (`hello {fresh}`), and a way to wait for a frame on it. */
async function openSocket(url: string, token: string) {
  const ws = new WebSocket(url.replace(/^http/, "ws"), { headers: { Authorization: `Bearer ${token}` } });
  const frames: ServerFrame[] = [];
  const waiting: (() => void)[] = [];
  ws.on("message", (data) => {
    if (data.toString() === "pong") return;
    frames.push(JSON.parse(data.toString()) as ServerFrame);
    for (const w of waiting.splice(0)) w();
  });
  const next = (pred: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such frame on ${url}; got ${JSON.stringify(frames)}`)), timeoutMs);
      const look = () => {
        const found = frames.find(pred);
        if (!found) return waiting.push(look);
        clearTimeout(timer);
        resolve(found);
      };
      look();
    });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ t: "hello", fresh: true }));
  await next((f) => f.t === "ready");
  return { ws, next, frames };
}
