// "typing…": our frames are throttled (active at most every 3 s, paused after 5 s without
// a keystroke or on send) and only in 1:1 chats; theirs show until paused, their message,
// or 6 s without a fresh active. Nothing of it is stored.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectFake, resetClient } from "../../test/sync-harness";
import { stopConnection } from "./connection";
import { db } from "./db";
import { handleFrame, settled } from "./sync";
import type { ServerFrame } from "./types";
import { TYPING, noteTyping, stopTyping, typingIn } from "./typing";

const conv = "d:u_a:u_b";
const theirs = (state: "active" | "paused") => ({ t: "typing", conv, from: "u_b", state }) as unknown as ServerFrame;

describe("typing", () => {
  beforeEach(async () => {
    await resetClient();
  });
  afterEach(() => {
    stopConnection();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("says active at most every 3 s while typing, paused 5 s after the last key, and nothing in a group", async () => {
    const sock = await connectFake({ ready: 0 });
    vi.useFakeTimers();
    const typing = () => sock.frames().filter((f) => f.t === "typing");
    noteTyping(conv);
    vi.advanceTimersByTime(1000);
    noteTyping(conv);
    vi.advanceTimersByTime(1000);
    noteTyping(conv);
    expect(typing()).toEqual([{ t: "typing", conv, state: "active" }]);
    vi.advanceTimersByTime(1500);
    noteTyping(conv); // 3.5 s after the first
    expect(typing()).toHaveLength(2);
    vi.advanceTimersByTime(TYPING.pauseAfterMs - 1);
    expect(typing()).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(typing().at(-1)).toEqual({ t: "typing", conv, state: "paused" });

    noteTyping("g:g_1");
    expect(typing()).toHaveLength(3);
  });

  it("says paused at once when the message is sent, and only if it had said active", async () => {
    const sock = await connectFake({ ready: 0 });
    stopTyping(conv);
    expect(sock.frames().filter((f) => f.t === "typing")).toEqual([]);
    noteTyping(conv);
    stopTyping(conv);
    expect(sock.frames().filter((f) => f.t === "typing").map((f) => f.state)).toEqual(["active", "paused"]);
  });

  it("shows theirs until paused, until their message, or for 6 s without a fresh active — and stores nothing", async () => {
    await connectFake({ ready: 0 });
    vi.useFakeTimers();
    await handleFrame(theirs("active"));
    expect(typingIn.value.get(conv)).toBe("u_b");
    await handleFrame(theirs("paused"));
    expect(typingIn.value.has(conv)).toBe(false);

    await handleFrame(theirs("active"));
    vi.advanceTimersByTime(5000);
    await handleFrame(theirs("active")); // a refresh keeps it
    vi.advanceTimersByTime(5000);
    expect(typingIn.value.get(conv)).toBe("u_b");
    vi.advanceTimersByTime(TYPING.expireMs - 5000);
    expect(typingIn.value.has(conv)).toBe(false);

    await handleFrame(theirs("active"));
    vi.useRealTimers();
    await handleFrame({ t: "ev", seq: 1, ev: { type: "message", conv, msg: { id: "m1", from: "u_b", source: "unibox", body: { type: "text", text: "hi" }, at: 5 } } });
    await settled();
    expect(typingIn.value.has(conv)).toBe(false);
    // Only the message was stored; the cursor moved for it alone.
    const d = await db();
    expect(await d.count("messages")).toBe(1);
    expect(await d.get("kv", "seq")).toBe(1);
  });
});
