// The service worker's push and notificationclick handlers, run against a fake `self`.
// The real worker is tested in Chromium (test/browser/push.test.ts, pushes delivered over
// the DevTools protocol); what that cannot reach is here: a click on a notification, and
// the Chinese labels.
import { describe, expect, it, vi } from "vitest";
import raw from "./sw.js?raw";

const source = raw.replace("= __PRECACHE__;", "= [];");
const ORIGIN = "https://unibox.example";

type Handler = (event: any) => void;
type FakeWindow = { url: string; focused: boolean; visibilityState: string; focus: ReturnType<typeof vi.fn>; navigate: ReturnType<typeof vi.fn> };

function loadWorker(opts: { language?: string; windows?: FakeWindow[] } = {}) {
  const handlers: Record<string, Handler> = {};
  const self = {
    navigator: { language: opts.language ?? "en-US" },
    location: new URL(ORIGIN),
    addEventListener: (type: string, fn: Handler) => (handlers[type] = fn),
    registration: { showNotification: vi.fn(async () => undefined) },
    clients: { matchAll: vi.fn(async () => opts.windows ?? []), openWindow: vi.fn(async () => null), claim: vi.fn() },
  };
  new Function("self", "caches", source)(self, {});
  return { self, handlers };
}

async function dispatch(handler: Handler, event: object): Promise<void> {
  let pending: Promise<unknown> = Promise.resolve();
  handler({ ...event, waitUntil: (p: Promise<unknown>) => (pending = p) });
  await pending;
}

const pushOf = (text: string) => ({ data: { text: () => text, json: () => JSON.parse(text) } });

function fakeWindow(url: string, focused = false): FakeWindow {
  const w: FakeWindow = { url, focused, visibilityState: focused ? "visible" : "hidden", focus: vi.fn(), navigate: vi.fn() };
  w.focus.mockImplementation(async () => w);
  w.navigate.mockImplementation(async (to: string) => ({ ...w, url: to }));
  return w;
}

describe("sw.js push", () => {
  it("labels a caption-less picture in Chinese when the browser speaks Chinese", async () => {
    const { self, handlers } = loadWorker({ language: "zh-CN" });
    await dispatch(handlers.push!, pushOf(JSON.stringify({ v: 1, type: "message", conv: "d:u_a:u_b", title: "Alice", kind: "image", at: 1 })));
    expect(self.registration.showNotification).toHaveBeenCalledWith("Alice", expect.objectContaining({ body: "图片", tag: "d:u_a:u_b", renotify: true, data: { url: "/chat/d%3Au_a%3Au_b" } }));
  });

  it("shows the generic notification for a push without data, in Chinese too", async () => {
    const { self, handlers } = loadWorker({ language: "zh-TW" });
    await dispatch(handlers.push!, { data: null });
    expect(self.registration.showNotification).toHaveBeenCalledWith("Unibox", expect.objectContaining({ body: "新消息", tag: "unibox" }));
  });

  it("an unknown kind shows its text, and an unknown type the generic notification", async () => {
    const { self, handlers } = loadWorker();
    await dispatch(handlers.push!, pushOf(JSON.stringify({ v: 1, type: "message", conv: "g:1", title: "Bo · Team", kind: "sticker", text: "hi" })));
    await dispatch(handlers.push!, pushOf(JSON.stringify({ v: 2, type: "call", title: "Bo" })));
    expect(self.registration.showNotification.mock.calls.map(([title, o]: any) => [title, o.body, o.tag])).toEqual([
      ["Bo · Team", "hi", "g:1"],
      ["Unibox", "New message", "unibox"],
    ]);
  });
});

describe("sw.js mail", () => {
  it("shows new mail under one tag with its subject, opening the mail", async () => {
    const { self, handlers } = loadWorker();
    await dispatch(handlers.push!, pushOf(JSON.stringify({ v: 1, type: "mail", mail: "ml_1", account: null, title: "Carol", text: "Minutes of Monday", at: 5 })));
    await dispatch(handlers.push!, pushOf(JSON.stringify({ v: 1, type: "mail", mail: "ml_2", account: "a_1", title: "Dan", at: 6 })));
    expect(self.registration.showNotification.mock.calls.map(([title, o]: any) => [title, o.body, o.tag, o.data.url])).toEqual([
      ["Carol", "Minutes of Monday", "mail", "/mail/ml_1"],
      ["Dan", "New mail", "mail", "/mail/ml_2"],
    ]);
  });
});

describe("sw.js notificationclick", () => {
  const click = (url: string) => ({ notification: { close: vi.fn(), data: { url } } });

  it("focuses the open app and navigates it to the conversation", async () => {
    const open = fakeWindow(`${ORIGIN}/contacts`, true);
    const { self, handlers } = loadWorker({ windows: [fakeWindow("https://elsewhere.example/"), open] });
    const event = click("/chat/d%3Au_a%3Au_b");
    await dispatch(handlers.notificationclick!, event);
    expect(event.notification.close).toHaveBeenCalled();
    expect(open.focus).toHaveBeenCalled();
    expect(open.navigate).toHaveBeenCalledWith(`${ORIGIN}/chat/d%3Au_a%3Au_b`);
    expect(self.clients.openWindow).not.toHaveBeenCalled();
  });

  it("opens a window when none is open", async () => {
    const { self, handlers } = loadWorker();
    await dispatch(handlers.notificationclick!, click("/contacts"));
    expect(self.clients.openWindow).toHaveBeenCalledWith(`${ORIGIN}/contacts`);
  });

  it("opens a window when the open one cannot be navigated (not controlled by this worker)", async () => {
    const open = fakeWindow(`${ORIGIN}/`);
    open.navigate.mockRejectedValue(new TypeError("not controlled"));
    const { self, handlers } = loadWorker({ windows: [open] });
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await dispatch(handlers.notificationclick!, click("/contacts"));
    expect(self.clients.openWindow).toHaveBeenCalledWith(`${ORIGIN}/contacts`);
  });
});

describe("sw.js pushsubscriptionchange", () => {
  const sub = (endpoint: string) => ({ endpoint, options: { userVisibleOnly: true, applicationServerKey: new ArrayBuffer(65) }, toJSON: () => ({ endpoint, keys: { p256dh: "p", auth: "a" } }) });

  it("registers the browser's new subscription and forgets the old one", async () => {
    const { handlers } = loadWorker();
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 201 }));
    await dispatch(handlers.pushsubscriptionchange!, { oldSubscription: sub("https://push.example/old"), newSubscription: sub("https://push.example/new") });
    const calls = fetch.mock.calls.map(([url, init]) => [url, init?.method, JSON.parse(String(init?.body)), init?.credentials]);
    expect(calls).toEqual([
      ["/api/push/subscriptions", "POST", { endpoint: "https://push.example/new", keys: { p256dh: "p", auth: "a" } }, "same-origin"],
      ["/api/push/subscriptions", "DELETE", { endpoint: "https://push.example/old" }, "same-origin"],
    ]);
    fetch.mockRestore();
  });

  it("subscribes again with the old options when the browser gave no new subscription", async () => {
    const { self, handlers } = loadWorker();
    const renewed = sub("https://push.example/renewed");
    (self.registration as any).pushManager = { subscribe: vi.fn(async () => renewed) };
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 201 }));
    const old = sub("https://push.example/expired");
    await dispatch(handlers.pushsubscriptionchange!, { oldSubscription: old, newSubscription: null });
    expect((self.registration as any).pushManager.subscribe).toHaveBeenCalledWith(old.options);
    expect(fetch.mock.calls.map(([, init]) => [init?.method, JSON.parse(String(init?.body)).endpoint])).toEqual([
      ["POST", "https://push.example/renewed"],
      ["DELETE", "https://push.example/expired"],
    ]);
    fetch.mockRestore();
  });
});
