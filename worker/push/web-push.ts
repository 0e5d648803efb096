// Web Push from the Worker with WebCrypto only: the payload encrypted for the browser
// (RFC 8291, "aes128gcm" content coding of RFC 8188) and the server's VAPID signature
// (RFC 8292), sent to the subscription's push service (RFC 8030).
import { base64url, type Bytes, concat, fromBase64url } from "../../core/bytes";

/** A browser's subscription as stored: the endpoint and its keys, base64url. */
export type PushTarget = { endpoint: string; p256dh: string; auth: string };
/** VAPID keys: the public key as the browser gets it (65 bytes), the private scalar d (32 bytes); both base64url. */
export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

/** What a push service said: gone (forget the subscription), retry later, or done. */
export type PushOutcome = "sent" | "gone" | "retry" | "rejected";

const text = new TextEncoder();
/** One record of 4 KB: the push services' payload limit, and our payloads are far smaller. */
const RECORD_SIZE = 4096;
export const MAX_PAYLOAD_BYTES = RECORD_SIZE - 16 - 1 - 86;
const PUSH_TIMEOUT_MS = 10_000;

async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** HKDF-SHA-256 (RFC 5869) for outputs of at most one block, all that RFC 8291 needs. */
async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const prk = await hmac(salt, ikm);
  return (await hmac(prk, concat(info, new Uint8Array([1])))).slice(0, length);
}

/**
 * Encrypts `plaintext` for one subscription as a single aes128gcm record. The salt and the
 * server's ephemeral ECDH key pair are fresh per message; tests pass the RFC's.
 */
export async function encryptPayload(
  plaintext: Bytes,
  target: { p256dh: Bytes; auth: Bytes },
  fixed: { salt?: Bytes; keys?: CryptoKeyPair } = {},
): Promise<Bytes> {
  if (plaintext.length > MAX_PAYLOAD_BYTES) throw new Error(`push payload over ${MAX_PAYLOAD_BYTES} bytes`);
  const salt = fixed.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const keys = fixed.keys ?? ((await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair);
  const serverPublic = new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer);
  const browserKey = await crypto.subtle.importKey("raw", target.p256dh, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: browserKey }, keys.privateKey, 256));

  // RFC 8291 §3.3–3.4: the auth secret and both public keys go into the input keying material.
  const ikm = await hkdf(target.auth, shared, concat(text.encode("WebPush: info\0"), target.p256dh, serverPublic), 32);
  const cek = await hkdf(salt, ikm, text.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, text.encode("Content-Encoding: nonce\0"), 12);
  const aes = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["encrypt"]);
  // One record, so it is the last: the delimiter 0x02, and no padding.
  const record = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, aes, concat(plaintext, new Uint8Array([2]))));

  // RFC 8188 §2.1 header: salt, record size, key id length, key id (our public key).
  const header = new Uint8Array(16 + 4 + 1 + serverPublic.length);
  header.set(salt);
  new DataView(header.buffer).setUint32(16, RECORD_SIZE);
  header[20] = serverPublic.length;
  header.set(serverPublic, 21);
  return concat(header, record);
}

const signingKeys = new Map<string, Promise<CryptoKey>>();

/** The VAPID private key as a WebCrypto signing key (the JWK needs x and y, taken from the public key). */
function signingKey(keys: VapidKeys): Promise<CryptoKey> {
  let key = signingKeys.get(keys.privateKey);
  if (!key) {
    const pub = fromBase64url(keys.publicKey);
    if (pub.length !== 65 || pub[0] !== 4) throw new Error("VAPID_PUBLIC_KEY is not an uncompressed P-256 point");
    const jwk = { kty: "EC", crv: "P-256", x: base64url(pub.slice(1, 33)), y: base64url(pub.slice(33)), d: keys.privateKey, ext: false };
    key = crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    signingKeys.set(keys.privateKey, key);
  }
  return key;
}

/** RFC 8292: a JWT (ES256) for the push service's origin, valid 12 hours, and our public key. */
export async function vapidAuthorization(endpoint: string, keys: VapidKeys, now = Date.now()): Promise<string> {
  const part = (o: object) => base64url(text.encode(JSON.stringify(o)));
  const unsigned = `${part({ typ: "JWT", alg: "ES256" })}.${part({ aud: new URL(endpoint).origin, exp: Math.floor(now / 1000) + 12 * 3600, sub: keys.subject })}`;
  // WebCrypto's ECDSA signature is r‖s, 64 bytes: exactly JWS's ES256 form.
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, await signingKey(keys), text.encode(unsigned)));
  return `vapid t=${unsigned}.${base64url(signature)}, k=${keys.publicKey}`;
}

/** RFC 8030 §5.4: a Topic is at most 32 base64url characters; this one stands for `key`. */
export async function pushTopic(key: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", text.encode(key)))).slice(0, 32);
}

/** Sends one push message; the answer says what to do with the subscription. */
export async function sendPush(target: PushTarget, payload: string, keys: VapidKeys, opts: { ttlSeconds?: number; topic?: string } = {}): Promise<PushOutcome> {
  const body = await encryptPayload(text.encode(payload), { p256dh: fromBase64url(target.p256dh), auth: fromBase64url(target.auth) });
  let res: Response;
  try {
    res = await fetch(target.endpoint, {
      method: "POST",
      headers: {
        Authorization: await vapidAuthorization(target.endpoint, keys),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        TTL: String(opts.ttlSeconds ?? 24 * 3600),
        Urgency: "high",
        // A newer message for the same chat replaces one the push service still holds.
        ...(opts.topic ? { Topic: opts.topic } : {}),
      },
      body,
      // The hub's outbox sends one row at a time: a push service that hangs must not hold up receipts.
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
  } catch {
    return "retry";
  }
  await res.body?.cancel();
  if (res.ok) return "sent";
  if (res.status === 404 || res.status === 410) return "gone";
  if (res.status === 429 || res.status >= 500) return "retry";
  return "rejected";
}
