import { describe, expect, it } from "vitest";
import { addToThread, raiseInThread, threadOf } from "./threads";
import type { StoredMessage } from "./types";

const own = (id: string, conv: string): StoredMessage => ({ id, conv, from: "u_a", source: "unibox", body: { type: "text", text: id }, at: 1, state: "sent" });

describe("receipts that come before their message", () => {
  it("keeps a read that arrives before the own message settles, and shows it when the message arrives", () => {
    const conv = "d:u_a:u_early";
    threadOf(conv); // the conversation is open
    raiseInThread(conv, ["m_early"], "read");
    addToThread(conv, [own("m_early", conv)]);
    expect(threadOf(conv).value.messages.find((m) => m.id === "m_early")?.state).toBe("read");
  });

  it("never lowers a kept receipt: a later delivered does not undo an earlier read", () => {
    const conv = "d:u_a:u_early2";
    threadOf(conv);
    raiseInThread(conv, ["m_e2"], "read");
    raiseInThread(conv, ["m_e2"], "delivered");
    addToThread(conv, [own("m_e2", conv)]);
    expect(threadOf(conv).value.messages[0]?.state).toBe("read");
  });

  it("raises a message already shown as before", () => {
    const conv = "d:u_a:u_shown";
    addToThread(conv, []);
    threadOf(conv);
    addToThread(conv, [own("m_shown", conv)]);
    raiseInThread(conv, ["m_shown"], "delivered");
    expect(threadOf(conv).value.messages[0]?.state).toBe("delivered");
  });
});

describe("thread order", () => {
  const msg = (id: string, conv: string, at: number, seq?: number): StoredMessage => ({ id, conv, from: "u_b", source: "unibox", body: { type: "text", text: id }, at, ...(seq !== undefined ? { seq } : {}) });

  it("keeps a 1:1 chat in the hub log's order when the clocks disagree", () => {
    const conv = "d:u_a:u_order";
    threadOf(conv);
    addToThread(conv, [msg("second", conv, 100, 8), msg("first", conv, 200, 7)]);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["first", "second"]);
  });

  it("orders a group by time, then id, even where some messages carry a hub seq and others none", () => {
    const conv = "g:g_order";
    threadOf(conv);
    addToThread(conv, [msg("late", conv, 300, 1), msg("b-tie", conv, 200), msg("a-tie", conv, 200, 9), msg("early", conv, 100, 5)]);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["early", "a-tie", "b-tie", "late"]);
  });
});
