// Ids and tokens: a time prefix (sortable, base36 milliseconds) and 64 random bits.
import { base64url, utf8 } from "./bytes";

export function newId(prefix: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}_${Date.now().toString(36)}${[...rand].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
}
