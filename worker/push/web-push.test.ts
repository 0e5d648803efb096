// The Worker's Web Push crypto against the RFC 8291 example, and its VAPID token checked
// with the public key the browser is given.
import { describe, expect, it } from "vitest";
import { base64url, fromBase64url } from "../../core/bytes";
import { encryptPayload, pushTopic, vapidAuthorization } from "./web-push";

// RFC 8291 Appendix A (line breaks removed).
const RFC = {
  plaintext: "When I grow up, I want to be a watermelon",
  asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
  asPublic: "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  uaPublic: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  authSecret: "BTBZMqHH6r4Tts7J_aSIgg",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
};

async function keyPairFrom(privateD: string, publicRaw: string, algorithm: "ECDH" | "ECDSA"): Promise<CryptoKeyPair> {
  const pub = fromBase64url(publicRaw);
  const jwk = { kty: "EC", crv: "P-256", x: base64url(pub.slice(1, 33)), y: base64url(pub.slice(33)) };
  const usages = algorithm === "ECDH" ? (["deriveBits"] as const) : (["sign"] as const);
  return {
    privateKey: await crypto.subtle.importKey("jwk", { ...jwk, d: privateD }, { name: algorithm, namedCurve: "P-256" }, true, [...usages]),
    publicKey: await crypto.subtle.importKey("raw", pub, { name: algorithm, namedCurve: "P-256" }, true, algorithm === "ECDH" ? [] : ["verify"]),
  };
}

describe("Web Push encryption (RFC 8291)", () => {
  it("reproduces the RFC's example byte for byte", async () => {
    const body = await encryptPayload(
      new TextEncoder().encode(RFC.plaintext),
      { p256dh: fromBase64url(RFC.uaPublic), auth: fromBase64url(RFC.authSecret) },
      { salt: fromBase64url(RFC.salt), keys: await keyPairFrom(RFC.asPrivate, RFC.asPublic, "ECDH") },
    );
    expect(base64url(body)).toBe(RFC.body);
  });

  it("uses a fresh salt and key for every message", async () => {
    const target = { p256dh: fromBase64url(RFC.uaPublic), auth: fromBase64url(RFC.authSecret) };
    const [a, b] = [await encryptPayload(new Uint8Array([1]), target), await encryptPayload(new Uint8Array([1]), target)];
    expect(base64url(a.slice(0, 16))).not.toBe(base64url(b.slice(0, 16)));
    expect(base64url(a.slice(21, 86))).not.toBe(base64url(b.slice(21, 86)));
    // Header: record size 4096, a 65-byte key id; then one record (1 byte + delimiter + 16-byte tag).
    expect(new DataView(a.buffer).getUint32(16)).toBe(4096);
    expect(a[20]).toBe(65);
    expect(a.length).toBe(86 + 1 + 1 + 16);
  });

  it("refuses a payload that does not fit one record", async () => {
    const target = { p256dh: fromBase64url(RFC.uaPublic), auth: fromBase64url(RFC.authSecret) };
    await expect(encryptPayload(new Uint8Array(5000), target)).rejects.toThrow(/push payload over/);
  });
});

describe("VAPID (RFC 8292)", () => {
  it("signs a token for the push service's origin that the public key verifies", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const publicKey = base64url(new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer));
    const d = ((await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey).d!;
    const now = Date.UTC(2026, 10, 26);
    const header = await vapidAuthorization("https://push.example.net/wpush/v2/abc?x=1", { publicKey, privateKey: d, subject: "mailto:ops@unibox.example" }, now);

    const [, token, k] = /^vapid t=([^,]+), k=(.+)$/.exec(header)!;
    expect(k).toBe(publicKey);
    const [h, c, s] = token!.split(".");
    expect(JSON.parse(new TextDecoder().decode(fromBase64url(h!)))).toEqual({ typ: "JWT", alg: "ES256" });
    expect(JSON.parse(new TextDecoder().decode(fromBase64url(c!)))).toEqual({ aud: "https://push.example.net", exp: now / 1000 + 12 * 3600, sub: "mailto:ops@unibox.example" });
    const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, fromBase64url(s!), new TextEncoder().encode(`${h}.${c}`));
    expect(ok).toBe(true);
  });

  it("names a chat's topic in at most 32 base64url characters", async () => {
    const topic = await pushTopic("d:u_mwxateyfcad5c1437b83cbf5:u_mwxateyrd13c447b936e9c4e");
    expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await pushTopic("d:u_mwxateyfcad5c1437b83cbf5:u_mwxateyrd13c447b936e9c4e")).toBe(topic);
  });
});
