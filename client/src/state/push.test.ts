// Web Push on the client with a fake Notification and a fake PushManager (jsdom has
// neither) and a fake fetch standing in for the server's /api/push routes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fromBase64url as base64urlBytes } from "../../../core/bytes";
import { disablePush, enablePush, forgetPushOnSignOut, pushError, pushState, refreshPushState, resyncPush } from "./push";

// A real P-256 public key as the server sends it (65 bytes, 0x04 first).
const KEY = "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U";
const SUBSCRIPTION = { endpoint: "https://push.example/send/abc123", expirationTime: null, keys: { p256dh: "BNcR…p256dh", auth: "tBHI…auth" } };

type Sent = { method: string; path: string; body: unknown };
let sent: Sent[];
let permission: NotificationPermission;
let answer: NotificationPermission;
let current: FakeSubscription | null;
let subscribe: ReturnType<typeof vi.fn>;

class FakeSubscription {
  endpoint = SUBSCRIPTION.endpoint;
  unsubscribed = false;
  constructor(readonly options: { applicationServerKey: ArrayBuffer | null; userVisibleOnly: boolean }) {}
  toJSON() {
    return SUBSCRIPTION;
  }
  unsubscribe = vi.fn(async () => {
    this.unsubscribed = true;
    current = null;
    return true;
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The server's answers, by "METHOD path". */
let routes: Record<string, () => Response>;

function install() {
  (window as any).Notification = {
    get permission() {
      return permission;
    },
    requestPermission: vi.fn(async () => (permission = answer)),
  };
  (window as any).PushManager = function PushManager() {};
  subscribe = vi.fn(async (options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) => {
    current = new FakeSubscription({ userVisibleOnly: options.userVisibleOnly, applicationServerKey: options.applicationServerKey.slice().buffer });
    return current;
  });
  const pushManager = { subscribe, getSubscription: vi.fn(async () => current) };
  Object.defineProperty(navigator, "serviceWorker", { value: { ready: Promise.resolve({ pushManager }) }, configurable: true });
}

function uninstall() {
  delete (window as any).Notification;
  delete (window as any).PushManager;
  delete (navigator as any).serviceWorker;
}

beforeEach(() => {
  sent = [];
  permission = "default";
  answer = "granted";
  current = null;
  pushError.value = null;
  routes = {
    "GET /api/push/key": () => json(200, { key: KEY }),
    "POST /api/push/subscriptions": () => json(201, { ok: true }),
    "DELETE /api/push/subscriptions": () => json(200, { ok: true }),
  };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const path = new URL(String(input)).pathname;
    const method = init?.method ?? "GET";
    sent.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const route = routes[`${method} ${path}`];
    return route ? route() : json(404, { error: { code: "not_found", message: "no route" } });
  });
  install();
});

afterEach(() => {
  uninstall();
  vi.restoreAllMocks();
});

describe("Web Push", () => {
  it("enable asks for permission, subscribes with the server's key and registers exactly that subscription", async () => {
    await enablePush();
    expect(Notification.requestPermission).toHaveBeenCalledOnce();
    expect(subscribe).toHaveBeenCalledOnce();
    const options = subscribe.mock.calls[0]![0];
    expect(options.userVisibleOnly).toBe(true);
    expect(options.applicationServerKey).toBeInstanceOf(Uint8Array);
    expect([...options.applicationServerKey]).toEqual([...base64urlBytes(KEY)]);
    expect(options.applicationServerKey.length).toBe(65);
    expect(options.applicationServerKey[0]).toBe(4);
    expect(sent).toEqual([
      { method: "GET", path: "/api/push/key", body: undefined },
      { method: "POST", path: "/api/push/subscriptions", body: SUBSCRIPTION },
    ]);
    expect(pushState.value).toBe("on");
    expect(pushError.value).toBeNull();
  });

  it("a refused permission leaves it denied and sends nothing", async () => {
    answer = "denied";
    await enablePush();
    expect(pushState.value).toBe("denied");
    expect(subscribe).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it("a dismissed prompt leaves it off, without an error", async () => {
    answer = "default";
    await enablePush();
    expect(pushState.value).toBe("off");
    expect(pushError.value).toBeNull();
    expect(sent).toEqual([]);
  });

  it("a server without VAPID keys says so and leaves it off, without subscribing", async () => {
    routes["GET /api/push/key"] = () => json(503, { error: { code: "push_unavailable", message: "push is not configured" } });
    await enablePush();
    expect(pushState.value).toBe("off");
    expect(pushError.value).toMatchObject({ status: 503, code: "push_unavailable" });
    expect(subscribe).not.toHaveBeenCalled();
  });

  it("a refused subscription is dropped again, so off is true", async () => {
    routes["POST /api/push/subscriptions"] = () => json(400, { error: { code: "invalid_subscription", message: "bad endpoint" } });
    await enablePush();
    expect(pushState.value).toBe("off");
    expect(pushError.value).toMatchObject({ code: "invalid_subscription" });
    expect(current).toBeNull();
  });

  it("offline, enabling fails with a network error and leaves it off", async () => {
    vi.mocked(fetch).mockRejectedValue(new TypeError("Failed to fetch"));
    await enablePush();
    expect(pushState.value).toBe("off");
    expect(pushError.value).toMatchObject({ code: "network" });
  });

  it("disable unsubscribes and tells the server the endpoint", async () => {
    await enablePush();
    const subscription = current!;
    sent = [];
    await disablePush();
    expect(subscription.unsubscribe).toHaveBeenCalledOnce();
    expect(sent).toEqual([{ method: "DELETE", path: "/api/push/subscriptions", body: { endpoint: SUBSCRIPTION.endpoint } }]);
    expect(pushState.value).toBe("off");
  });

  it("refresh reads the permission and the subscription", async () => {
    await refreshPushState();
    expect(pushState.value).toBe("off");
    permission = "denied";
    await refreshPushState();
    expect(pushState.value).toBe("denied");
    permission = "granted";
    current = new FakeSubscription({ userVisibleOnly: true, applicationServerKey: base64urlBytes(KEY).buffer });
    await refreshPushState();
    expect(pushState.value).toBe("on");
  });

  it("sign out unsubscribes and DELETEs, and never throws even when the server is gone", async () => {
    await enablePush();
    const subscription = current!;
    vi.mocked(fetch).mockRejectedValue(new TypeError("Failed to fetch"));
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await expect(forgetPushOnSignOut()).resolves.toBeUndefined();
    expect(subscription.unsubscribe).toHaveBeenCalledOnce();
    expect(pushState.value).toBe("off");
  });

  it("a browser without Push is unsupported, and nothing is asked or sent", async () => {
    uninstall();
    await refreshPushState();
    expect(pushState.value).toBe("unsupported");
    await enablePush();
    expect(pushState.value).toBe("unsupported");
    await forgetPushOnSignOut();
    expect(sent).toEqual([]);
  });

  it("tells the server again about an existing subscription, and about nothing when there is none", async () => {
    await resyncPush();
    expect(sent).toEqual([]);
    permission = "granted";
    await resyncPush();
    expect(sent).toEqual([]);
    current = new FakeSubscription({ userVisibleOnly: true, applicationServerKey: base64urlBytes(KEY).buffer });
    await resyncPush();
    expect(sent).toEqual([{ method: "POST", path: "/api/push/subscriptions", body: SUBSCRIPTION }]);
    // A server that is down is not the user's problem here.
    routes["POST /api/push/subscriptions"] = () => json(503, { error: { code: "internal", message: "down" } });
    await expect(resyncPush()).resolves.toBeUndefined();
  });
});
