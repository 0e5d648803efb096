// What a push notification says for each kind of event.
import { describe, expect, it } from "vitest";
import type { HubEvent } from "../../core/protocol";
import { noticeFor, PREVIEW_CHARS } from "./notice";

const names = {
  person: (id: string) => ({ u_a: "Alice", u_b: "Bob" })[id],
  conversation: (id: string) => ({ "g:g_1": "Hike", "d:u_a:u_me": "Alice" })[id],
};
const message = (conv: string, from: string, body: unknown): HubEvent => ({ type: "message", conv, msg: { id: "m_1", from, source: "unibox", body, at: 42 } as never });

describe("push notices", () => {
  it("names the sender, or sender · group, and previews the text", () => {
    expect(noticeFor(message("d:u_a:u_me", "u_a", { type: "text", text: " hi there " }), "u_me", names)).toEqual({ v: 1, type: "message", conv: "d:u_a:u_me", title: "Alice", kind: "text", text: "hi there", at: 42 });
    expect(noticeFor(message("g:g_1", "u_b", { type: "text", text: "summit at 9" }), "u_me", names)).toMatchObject({ title: "Bob · Hike" });
    // A member who is not a friend: the group's name alone.
    expect(noticeFor(message("g:g_1", "u_zed", { type: "text", text: "hello" }), "u_me", names)).toMatchObject({ title: "Hike" });
  });

  it("gives media and locations their kind, with the caption or label as text", () => {
    expect(noticeFor(message("d:u_a:u_me", "u_a", { type: "image", media: "md_1" }), "u_me", names)).toEqual({ v: 1, type: "message", conv: "d:u_a:u_me", title: "Alice", kind: "image", at: 42 });
    expect(noticeFor(message("d:u_a:u_me", "u_a", { type: "audio", media: "md_2", caption: "listen" }), "u_me", names)).toMatchObject({ kind: "audio", text: "listen" });
    expect(noticeFor(message("d:u_a:u_me", "u_a", { type: "location", lat: 1, lng: 2, label: "Café Luna" }), "u_me", names)).toMatchObject({ kind: "location", text: "Café Luna" });
  });

  it("cuts long text at whole characters and marks the cut", () => {
    const long = "🌲".repeat(PREVIEW_CHARS + 10);
    const n = noticeFor(message("d:u_a:u_me", "u_a", { type: "text", text: long }), "u_me", names) as { text: string };
    expect([...n.text]).toHaveLength(PREVIEW_CHARS);
    expect(n.text.endsWith("🌲…")).toBe(true);
  });

  it("wakes nobody for one's own messages, receipts or presence", () => {
    expect(noticeFor(message("d:u_a:u_me", "u_me", { type: "text", text: "mine" }), "u_me", names)).toBeNull();
    expect(noticeFor({ type: "status", conv: "d:u_a:u_me", msgIds: ["m_1"], state: "read", by: "u_a", at: 1 }, "u_me", names)).toBeNull();
    expect(noticeFor({ type: "presence", user: "u_a", online: true, at: 1 }, "u_me", names)).toBeNull();
  });

  it("announces a friend request with its message", () => {
    const ev: HubEvent = { type: "friend.request", request: { id: "fr_1", from: { id: "u_c", handle: "carol", address: "c@x", displayName: "Carol" }, message: "from the gym", at: 7 } };
    expect(noticeFor(ev, "u_me", names)).toEqual({ v: 1, type: "friend.request", title: "Carol", text: "from the gym", at: 7 });
  });
});
