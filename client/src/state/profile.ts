// The signed-in user's own account: their display name, their password, and the other
// devices signed in to it. (Who is signed in is session.ts.)
import { callJson } from "./api";
import { kv } from "./db";
import { me } from "./session";
import type { User } from "./types";

/** The longest display name the server takes (registerBody). */
export const DISPLAY_NAME_MAX = 64;
/** The shortest password the server takes (registerBody). */
export const PASSWORD_MIN = 10;

/** PATCH /api/me {displayName} → {user}; the cached profile follows, so the app shows it offline too. */
export async function renameMe(displayName: string): Promise<User> {
  const { user } = await callJson<{ user: User }>("PATCH", "/api/me", { displayName: displayName.trim() });
  await kv.set("me", user);
  me.value = user;
  return user;
}

/** POST /api/me/password {current, next} → how many other devices were signed out by it. */
export async function changePassword(current: string, next: string): Promise<number> {
  const res = await callJson<{ ok: true; signedOut: number }>("POST", "/api/me/password", { current, next });
  return res.signedOut;
}

/** POST /api/auth/sessions/end-others → how many other devices were signed out; this one stays. */
export async function endOtherSessions(): Promise<number> {
  const res = await callJson<{ signedOut: number }>("POST", "/api/auth/sessions/end-others");
  return res.signedOut;
}
