// SCRAM (RFC 5802; SHA-256 per RFC 7677) on WebCrypto, for SASL. The client proves it knows
// the password without sending it, and checks the server's signature so a server that does
// not know the password cannot pretend the login succeeded. No channel binding ("n,,"):
// over WebSocket the TLS session is not ours to read.

export type ScramHash = "SHA-1" | "SHA-256";

export class ScramError extends Error {}

/** Fewer rounds than RFC 5802 §5.1's floor suggests a downgrade; more than workerd's PBKDF2 allows cannot run. */
const MIN_ITERATIONS = 4096;
const MAX_ITERATIONS = 100_000;

export type ScramClient = {
  /** The client-first-message, sent with the SASL <auth/>. */
  first: string;
  /** The client-final-message for the server's challenge. */
  respond(serverFirst: string): Promise<string>;
  /** Throws unless the server-final-message carries the signature only a server with the password can make. */
  verify(serverFinal: string): Promise<void>;
};

export function scramClient(hash: ScramHash, user: string, password: string, nonce = randomNonce()): ScramClient {
  const bare = `n=${saslName(user)},r=${nonce}`;
  let expected: Uint8Array | undefined;
  return {
    first: `n,,${bare}`,
    async respond(serverFirst) {
      const attrs = parseAttrs(serverFirst);
      const [r, s, i] = [attrs.get("r"), attrs.get("s"), Number(attrs.get("i"))];
      if (!r || !s || !Number.isInteger(i)) throw new ScramError("the server's SCRAM challenge is malformed");
      if (!r.startsWith(nonce) || r.length === nonce.length) throw new ScramError("the server's SCRAM nonce does not extend ours");
      if (i < MIN_ITERATIONS || i > MAX_ITERATIONS) throw new ScramError(`the server asks for ${i} SCRAM iterations; ${MIN_ITERATIONS}–${MAX_ITERATIONS} are accepted`);
      const salted = await pbkdf2(hash, saslPrep(password), fromBase64(s), i);
      const clientKey = await hmac(hash, salted, "Client Key");
      const storedKey = new Uint8Array(await crypto.subtle.digest(hash, clientKey as Uint8Array<ArrayBuffer>));
      const withoutProof = `c=biws,r=${r}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = await hmac(hash, storedKey, authMessage);
      const proof = clientKey.map((b, k) => b ^ signature[k]!);
      expected = await hmac(hash, await hmac(hash, salted, "Server Key"), authMessage);
      return `${withoutProof},p=${toBase64(proof)}`;
    },
    async verify(serverFinal) {
      const attrs = parseAttrs(serverFinal);
      if (attrs.has("e")) throw new ScramError(`the server ended SCRAM: ${attrs.get("e")}`);
      const v = attrs.get("v");
      if (!expected || !v || !sameBytes(fromBase64(v), expected)) throw new ScramError("the server's SCRAM signature is wrong: it does not know the password");
    },
  };
}

function parseAttrs(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 §5.1: "=" and "," in the user name are written =3D and =2C. */
const saslName = (user: string) => saslPrep(user).replaceAll("=", "=3D").replaceAll(",", "=2C");

/**
 * SASLprep (RFC 4013), the parts that matter for real passwords: non-ASCII spaces become
 * spaces, characters "commonly mapped to nothing" go, then NFKC.
 */
export function saslPrep(s: string): string {
  return s
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, " ")
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, "")
    .normalize("NFKC");
}

async function pbkdf2(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = hash === "SHA-1" ? 160 : 256;
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash, salt: salt as Uint8Array<ArrayBuffer>, iterations }, key, bits));
}

async function hmac(hash: ScramHash, key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function randomNonce(): string {
  // Printable ASCII without ",": base64 of 18 random bytes.
  return toBase64(crypto.getRandomValues(new Uint8Array(18)));
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    throw new ScramError("the server sent base64 that is not");
  }
}
