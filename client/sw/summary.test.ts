// The service worker's notification for the summary push sent when quiet hours end (issue 14).
import { describe, expect, it, vi } from "vitest";
import raw from "./sw.js?raw";

const source = raw.replace("= __PRECACHE__;", "= [];");

function push(language: string, payload: unknown) {
  const handlers: Record<string, (e: any) => void> = {};
  const self = {
    navigator: { language },
    location: new URL("https://unibox.example"),
    addEventListener: (type: string, fn: (e: any) => void) => (handlers[type] = fn),
    registration: { showNotification: vi.fn(async () => undefined) },
    clients: { matchAll: vi.fn(async () => []), openWindow: vi.fn(async () => null), claim: vi.fn() },
  };
  new Function("self", "caches", source)(self, {});
  let pending: Promise<unknown> = Promise.resolve();
  handlers.push!({ data: { json: () => payload }, waitUntil: (p: Promise<unknown>) => (pending = p) });
  return pending.then(() => self.registration.showNotification.mock.calls[0] as unknown as [string, { body: string; tag: string; data: { url: string } }]);
}

describe("sw.js quiet-hours summary", () => {
  it("says how many came in how many chats, who wrote, and opens the one chat when there is one", async () => {
    const [title, opts] = await push("en-GB", { v: 1, type: "summary", count: 5, convs: ["d:u_a:u_b", "g:g_1"], titles: ["Bob", "Bob · Ski trip"], at: 1 });
    expect(title).toBe("Unibox");
    expect(opts).toMatchObject({ body: "5 new while your quiet hours were on, in 2 chats\nBob, Bob · Ski trip", tag: "quiet-summary", data: { url: "/" } });
    const [, one] = await push("zh-CN", { v: 1, type: "summary", count: 2, convs: ["d:u_a:u_b"], titles: [], at: 1 });
    expect(one).toMatchObject({ body: "免打扰期间收到 2 条新消息", data: { url: "/chat/d%3Au_a%3Au_b" } });
  });
});
