// Proving the account's phone number: ask for a code (to the account's number, or a new
// one), then send it back. Only the current verification is kept, in memory: a reload
// shows "Send code" again rather than texting the user on every page load.
import { signal } from "@preact/signals";
import { api, call } from "./api";
import { signedIn } from "./session";
import type { User } from "./types";

export type Verification = { phone: string; expiresAt: number; resendAt: number };

/** The code on its way, if one was asked for in this page load. */
export const verification = signal<Verification | null>(null);

/** Texts a code to the account's number, or to `to` (change number). */
export async function sendCode(to?: { phone: string; region: string }): Promise<Verification> {
  const { verification: sent } = await call(api.api.me.phone.$post({ json: to ?? {} }));
  verification.value = sent;
  return sent;
}

/** Sends the code back; on success the number is verified and the profile says so. */
export async function confirmCode(code: string): Promise<User> {
  const { user } = await call(api.api.me.phone.verify.$post({ json: { code } }));
  verification.value = null;
  await signedIn(user);
  return user;
}

/** The digits of what was typed or pasted ("123 456", "123-456", a whole text message), at most six. */
export const codeDigits = (text: string): string => (/\b(\d{6})\b/.exec(text)?.[1] ?? text.replace(/\D/g, "")).slice(0, 6);
