// A fresh VAPID key pair (RFC 8292) for Web Push, in the forms the Worker reads:
// the public key as browsers take it (65-byte uncompressed P-256 point) and the private
// scalar d, both base64url. Used by setup.mjs (.dev.vars) and by the tests.
import { generateKeyPairSync } from "node:crypto";

export function generateVapidKeys() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: privateKey.export({ format: "jwk" }).d };
}
