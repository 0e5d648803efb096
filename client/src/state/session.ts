// Who is signed in on this device. The cached profile lets the app open offline; the
// server decides (GET /api/me) whether the session is still alive.
import { signal } from "@preact/signals";
import { ApiFailure, api, call } from "./api";
import { kv, wipe } from "./db";
import type { User } from "./types";

/** `undefined` while booting, `null` when signed out. */
export const me = signal<User | null | undefined>(undefined);

/** Who is signed in, for the other tabs of this browser (they share the cookie and IndexedDB). */
const TAB_KEY = "unibox.user";

export async function signedIn(user: User): Promise<void> {
  const previous = await kv.get<User>("me");
  // A different person on this device: nothing of the last one may show.
  if (previous && previous.id !== user.id) await wipe();
  await kv.set("me", user);
  me.value = user;
  tellTabs(user.id);
}

/**
 * Confirms the cached session with the server; a 401 signs the device out, being offline
 * does not. If the cookie now belongs to someone else (another tab signed in as them),
 * this page's data and queued messages are the previous person's: wipe and start again.
 */
export async function confirmSession(): Promise<void> {
  try {
    const { user } = await call(api.api.me.$get());
    if (me.value && me.value.id !== user.id) return await restartAs(user);
    await kv.set("me", user);
    me.value = user;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) await forget();
  }
}

async function restartAs(user: User): Promise<void> {
  await wipe();
  await kv.set("me", user);
  reload();
}

function tellTabs(id: string | null): void {
  try {
    if (id) localStorage.setItem(TAB_KEY, id);
    else localStorage.removeItem(TAB_KEY);
  } catch {}
}

/** Another tab signed in as someone else, or signed out: this one must not go on as the old user. */
export function watchOtherTabs(): void {
  addEventListener("storage", (e) => {
    if (e.key !== TAB_KEY || !me.value || e.newValue === me.value.id) return;
    reload();
  });
  // Coming back to a tab: the cookie may have changed while it slept.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && me.value) void confirmSession();
  });
}

export async function signOut(): Promise<void> {
  // While the session still exists (the DELETE needs it); a lazy import keeps push out of the first route.
  await import("./push").then((push) => push.forgetPushOnSignOut()).catch(() => undefined);
  await call(api.api.auth.logout.$post()).catch(() => undefined);
  await forget();
}

async function forget(): Promise<void> {
  await wipe();
  me.value = null;
  tellTabs(null);
  reload();
}

/** Drops every in-memory signal of the old user too; a reload is the simplest sure way. */
function reload(): void {
  if (typeof location !== "undefined" && !(import.meta as { env?: { VITEST?: string } }).env?.VITEST) location.assign("/");
}
