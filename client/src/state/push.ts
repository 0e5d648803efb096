// Web Push: notifications while no device of the user has a socket open. The browser's
// push subscription is the source of truth for "on"; the server keeps a copy per device
// (POST/DELETE /api/push/subscriptions) and pushes to it (sw/sw.js shows the notification).
import { fromBase64url } from "../../../core/bytes";
import type { PushSubscriptionBody } from "../../../core/protocol";
import { signal } from "@preact/signals";
import { api, call } from "./api";

export type PushState = "unsupported" | "denied" | "off" | "on" | "busy";

export const pushState = signal<PushState>(supported() ? "off" : "unsupported");
/** Why the last enablePush() failed (an ApiFailure or a DOMException), for the Me screen to word. */
export const pushError = signal<unknown>(null);

/** Longest wait for the service worker; it is registered after load, so it may still be installing. */
const READY_MS = 10_000;
/** Sign out must not hang on a worker that never comes. */
const SIGN_OUT_READY_MS = 2_000;

function supported(): boolean {
  return typeof window !== "undefined" && "Notification" in window && "PushManager" in window && "serviceWorker" in navigator;
}

/** Reads the permission and this device's subscription into pushState. */
export async function refreshPushState(): Promise<void> {
  pushState.value = await currentState();
}

/** Asks for permission, subscribes with the server's VAPID key and registers the subscription with the server. */
export async function enablePush(): Promise<void> {
  if (!supported()) {
    pushState.value = "unsupported";
    return;
  }
  pushState.value = "busy";
  pushError.value = null;
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      pushState.value = permission === "denied" ? "denied" : "off";
      return;
    }
    const { key } = await call(api.api.push.key.$get());
    const manager = await pushManager(READY_MS);
    const subscription = await subscribe(manager, fromBase64url(key));
    try {
      await call(api.api.push.subscriptions.$post({ json: subscription.toJSON() as PushSubscriptionBody }));
    } catch (err) {
      // A subscription the server does not know would never ring: drop it, so "off" is true.
      await subscription.unsubscribe().catch(() => false);
      throw err;
    }
    pushState.value = "on";
  } catch (error) {
    pushError.value = error;
    pushState.value = await currentState();
  }
}

/**
 * Unsubscribes this device, then tells the server. Once the browser has unsubscribed no
 * push can reach it, so a failed DELETE is not an error for the user: the push service
 * answers the server 404/410 for the old endpoint and the server drops it then.
 */
export async function disablePush(): Promise<void> {
  if (!supported()) return;
  pushState.value = "busy";
  pushError.value = null;
  try {
    await unsubscribe(READY_MS);
  } catch (error) {
    pushError.value = error;
  }
  pushState.value = await currentState();
}

/**
 * Tells the server again about this device's subscription, if it has one: the server may
 * have dropped it (a push service hiccup answered 404) or lost it, and the browser would
 * never know. Idempotent on the server; called once per page load when the socket is ready.
 */
export async function resyncPush(): Promise<void> {
  if (!supported() || Notification.permission !== "granted") return;
  try {
    const subscription = await (await pushManager(READY_MS)).getSubscription();
    if (subscription) await call(api.api.push.subscriptions.$post({ json: subscription.toJSON() as PushSubscriptionBody }));
  } catch (err) {
    console.warn("unibox: could not re-register the push subscription", err);
  }
}

/** Sign out: the next person on this phone must not get this user's notifications. Best effort, never throws. */
export async function forgetPushOnSignOut(): Promise<void> {
  if (!supported()) return;
  try {
    await unsubscribe(SIGN_OUT_READY_MS);
  } catch (err) {
    console.warn("unibox: could not remove the push subscription on sign out", err);
  }
  pushState.value = "off";
}

async function unsubscribe(wait: number): Promise<void> {
  const subscription = await (await pushManager(wait)).getSubscription();
  if (!subscription) return;
  const { endpoint } = subscription;
  await subscription.unsubscribe();
  // Needs the session cookie, so it must run before logout.
  await call(api.api.push.subscriptions.$delete({ json: { endpoint } })).catch((err) =>
    console.warn("unibox: the server did not forget the push subscription", err),
  );
}

async function currentState(): Promise<PushState> {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  if (Notification.permission !== "granted") return "off";
  try {
    return (await (await pushManager(READY_MS)).getSubscription()) ? "on" : "off";
  } catch {
    return "off";
  }
}

/** An existing subscription made with the same key is reused; one made with an old key is replaced (subscribe() would refuse it). */
async function subscribe(manager: PushManager, key: Uint8Array<ArrayBuffer>): Promise<PushSubscription> {
  const existing = await manager.getSubscription();
  if (existing) {
    const old = existing.options.applicationServerKey;
    if (old && sameBytes(new Uint8Array(old), key)) return existing;
    await existing.unsubscribe();
  }
  return manager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
}

/** `navigator.serviceWorker.ready` never settles when no worker is registered (dev server, a failed install): cap the wait. */
async function pushManager(wait: number): Promise<PushManager> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the service worker is not ready")), wait);
  });
  try {
    return (await Promise.race([navigator.serviceWorker.ready, timeout])).pushManager;
  } finally {
    clearTimeout(timer);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
