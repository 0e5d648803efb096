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

  it("orders a group by the room's seq where two messages have one, else the hub's, else time", () => {
    const conv = "g:g_order";
    threadOf(conv);
    const room = (id: string, at: number, roomSeq: number, seq?: number): StoredMessage => ({ ...msg(id, conv, at, seq), roomSeq });
    // The room's log says r1, r2, r3, though the clocks say otherwise.
    addToThread(conv, [room("r3", 100, 30), room("r1", 300, 10), room("r2", 200, 20)]);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["r1", "r2", "r3"]);
    // Hub seqs order what only the hub brought; copies stored quietly share one, and go by time.
    const other = "g:g_order2";
    threadOf(other);
    addToThread(other, [msg("h2", other, 100, 8), msg("h1", other, 200, 7), msg("q2", other, 50, 9), msg("q1", other, 40, 9)].map((m) => ({ ...m, conv: other })));
    expect(threadOf(other).value.messages.map((m) => m.id)).toEqual(["h1", "h2", "q1", "q2"]);
    // A room's seq and a hub's seq are never compared: time decides between them.
    const third = "g:g_order3";
    threadOf(third);
    addToThread(third, [msg("q2", third, 50, 2), room("from-room", 45, 900), msg("q1", third, 40, 1)].map((m) => ({ ...m, conv: third })));
    expect(threadOf(third).value.messages.map((m) => m.id)).toEqual(["q1", "from-room", "q2"]);
  });
});
