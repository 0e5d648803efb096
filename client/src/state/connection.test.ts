import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { TIMING, backoffDelay, connection, sendFrame, startConnection, stopConnection } from "./connection";
import type { ServerFrame } from "./types";

function start(resume = 0, frames: ServerFrame[] = []) {
  startConnection({ url: "ws://test/api/ws", resume: () => resume, device: "web-test", onFrame: (f) => frames.push(f), WebSocketImpl: FakeSocket as unknown as typeof WebSocket, random: () => 1 });
  return frames;
}

describe("connection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => {
    stopConnection();
    vi.useRealTimers();
  });

  it("says hello with the stored cursor and goes online only at ready", async () => {
    const frames = start(41);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    expect(connection.value).toBe("connecting");
    FakeSocket.last.open();
    expect(FakeSocket.last.frames()).toEqual([{ t: "hello", resume: 41, device: "web-test" }]);
    expect(connection.value).toBe("syncing");
    FakeSocket.last.deliver({ t: "ev", seq: 42, ev: { type: "presence", user: "u_b", online: true, at: 1 } });
    expect(connection.value).toBe("syncing");
    FakeSocket.last.deliver({ t: "ready", head: 42 });
    expect(connection.value).toBe("online");
    expect(frames.map((f) => f.t)).toEqual(["ev", "ready"]);
  });

  it("says hello as a fresh device when it has stored nothing", async () => {
    start(0);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.open();
    expect(FakeSocket.last.frames()[0]).toEqual({ t: "hello", fresh: true, device: "web-test" });
  });

  it("holds back sends until ready, but lets acks through while replaying", async () => {
    start(0);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.open();
    expect(sendFrame({ t: "send", id: "c1", to: { user: "u_b" }, body: { type: "text", text: "hi" } })).toBe(false);
    expect(sendFrame({ t: "ack", seq: 3 })).toBe(true);
    FakeSocket.last.deliver({ t: "ready", head: 3 });
    expect(sendFrame({ t: "send", id: "c1", to: { user: "u_b" }, body: { type: "text", text: "hi" } })).toBe(true);
    expect(FakeSocket.last.frames().map((f) => f.t)).toEqual(["hello", "ack", "send"]);
  });

  it("keeps alive with the bare text ping and redials when the pong never comes", async () => {
    start(7);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    const first = FakeSocket.last;
    first.open();
    first.deliver({ t: "ready", head: 7 });
    vi.advanceTimersByTime(TIMING.pingEveryMs);
    expect(first.sent.at(-1)).toBe("ping");
    first.deliver("pong");
    vi.advanceTimersByTime(TIMING.pongTimeoutMs);
    expect(first.closed).toBe(false);
    vi.advanceTimersByTime(TIMING.pingEveryMs);
    vi.advanceTimersByTime(TIMING.pongTimeoutMs);
    expect(first.closed).toBe(true);
    expect(connection.value).toBe("connecting");
    await vi.advanceTimersByTimeAsync(TIMING.backoffBaseMs);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last.open();
    expect(FakeSocket.last.frames()[0]).toMatchObject({ t: "hello", resume: 7 });
  });

  it("backs off exponentially with full jitter up to the cap, and resets after ready", async () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, () => 1)).toBe(TIMING.backoffCapMs);
    expect(backoffDelay(5, () => 0)).toBe(0);

    start(0);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.drop();
    await vi.advanceTimersByTimeAsync(499);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last.drop();
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.last.open();
    FakeSocket.last.deliver({ t: "ready", head: 0 });
    FakeSocket.last.drop();
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it("drops the socket when the OS reports offline and redials at once when the network is back", async () => {
    start(0);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.open();
    FakeSocket.last.deliver({ t: "ready", head: 0 });
    const onLine = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    window.dispatchEvent(new Event("offline"));
    expect(FakeSocket.last.closed).toBe(true);
    expect(connection.value).toBe("offline");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    onLine.mockReturnValue(true);
    window.dispatchEvent(new Event("online"));
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    onLine.mockRestore();
  });

  it("does not redial a socket the hub closed because the session ended (4001), and says so", async () => {
    const ended = vi.fn();
    startConnection({ url: "ws://test/api/ws", resume: () => 0, onFrame: () => undefined, onSignedOut: ended, WebSocketImpl: FakeSocket as unknown as typeof WebSocket, random: () => 1 });
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.open();
    FakeSocket.last.drop(4001);
    expect(ended).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TIMING.backoffCapMs * 2);
    expect(FakeSocket.all).toHaveLength(1);
    // Any other close redials as before.
    stopConnection();
    FakeSocket.all = [];
    start();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last.open();
    FakeSocket.last.drop(1006);
    await vi.advanceTimersByTimeAsync(TIMING.backoffBaseMs);
    expect(FakeSocket.all).toHaveLength(2);
  });
});
