// Who is signed in on this device. The cached profile lets the app open offline; the
// server decides (GET /api/me) whether the session is still alive.
import { signal } from "@preact/signals";
import { ApiFailure, api, call } from "./api";
import { kv, wipe } from "./db";
import type { User } from "./types";

/** `undefined` while booting, `null` when signed out. */
export const me = signal<User | null | undefined>(undefined);

export async function signedIn(user: User): Promise<void> {
  const previous = await kv.get<User>("me");
  // A different person on this device: nothing of the last one may show.
  if (previous && previous.id !== user.id) await wipe();
  await kv.set("me", user);
  me.value = user;
}

/** Confirms the cached session with the server; a 401 signs the device out, being offline does not. */
export async function confirmSession(): Promise<void> {
  try {
    const { user } = await call(api.api.me.$get());
    await kv.set("me", user);
    me.value = user;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) await forget();
  }
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
  // Drop every in-memory signal of the old user too; a reload is the simplest sure way.
  if (typeof location !== "undefined" && !(import.meta as { env?: { VITEST?: string } }).env?.VITEST) location.assign("/");
}
