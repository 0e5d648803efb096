// Credentials are sealed at rest with AES-256-GCM under CREDENTIALS_KEY (a secret: 32 random
// bytes, base64url), bound to their account by the additional data, with a key id so keys
// can rotate: new seals use the current key; old ones open with CREDENTIALS_OLD_KEYS
// ("id:key,id:key") until re-sealed. Opened credentials live only in memory.
import { base64url, type Bytes, fromBase64url, utf8 } from "../../core/bytes";

export type KeyRing = { current: { id: string; key: string }; old: { id: string; key: string }[] };

export function keyRing(env: { CREDENTIALS_KEY?: string; CREDENTIALS_KEY_ID?: string; CREDENTIALS_OLD_KEYS?: string }): KeyRing {
  if (!env.CREDENTIALS_KEY) throw new Error("CREDENTIALS_KEY is not set: run `npm run setup` locally or `wrangler secret put CREDENTIALS_KEY`");
  const old = (env.CREDENTIALS_OLD_KEYS ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => ({ id: pair.slice(0, pair.indexOf(":")), key: pair.slice(pair.indexOf(":") + 1) }));
  return { current: { id: env.CREDENTIALS_KEY_ID ?? "k1", key: env.CREDENTIALS_KEY }, old };
}

async function aesKey(secret: string): Promise<CryptoKey> {
  const raw = fromBase64url(secret);
  if (raw.length !== 32) throw new Error("a credentials key is 32 bytes, base64url");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** `v1.<key id>.<iv>.<ciphertext>`: opaque, never logged, never returned. */
export async function seal(ring: KeyRing, accountId: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12)) as Bytes;
  const data = utf8(JSON.stringify(value));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(accountId) }, await aesKey(ring.current.key), data);
  return `v1.${ring.current.id}.${base64url(iv)}.${base64url(new Uint8Array(ct))}`;
}

export async function unseal<T>(ring: KeyRing, accountId: string, sealed: string): Promise<T> {
  const [v, kid, iv, ct] = sealed.split(".");
  if (v !== "v1" || !kid || !iv || !ct) throw new Error("not a sealed credential");
  const key = kid === ring.current.id ? ring.current.key : ring.old.find((k) => k.id === kid)?.key;
  if (!key) throw new Error(`no key ${kid} to open these credentials`);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64url(iv), additionalData: utf8(accountId) }, await aesKey(key), fromBase64url(ct));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}

/** Whether a seal was made with an old key and should be sealed again under the current one. */
export const needsReseal = (ring: KeyRing, sealed: string): boolean => sealed.split(".")[1] !== ring.current.id;
