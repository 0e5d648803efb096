// The Web Push routes: the VAPID key, and subscriptions checked before the hub keeps them.
// Sending is tested end to end against a push service on 127.0.0.1 (test/e2e/push.test.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, register } from "../test/helpers";

/** A browser's subscription: a real P-256 point and a 16-byte auth secret. */
async function browserKeys() {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { p256dh: b64(raw), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
}

describe("push routes", () => {
  it("hands out the VAPID public key to signed-in users only", async () => {
    expect((await api("/api/push/key")).status).toBe(401);
    const u = await register("pk");
    const res = await api("/api/push/key", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ key: (env as { VAPID_PUBLIC_KEY: string }).VAPID_PUBLIC_KEY });
  });

  it("keeps a valid subscription and forgets it on request", async () => {
    const u = await register("ps");
    const sub = { endpoint: "https://fcm.googleapis.com/fcm/send/abc:def", expirationTime: null, keys: await browserKeys() };
    const added = await api("/api/push/subscriptions", { method: "POST", token: u.token, json: sub });
    expect([added.status, added.data]).toEqual([201, { ok: true }]);
    // The same browser subscribing again replaces its row.
    expect((await api("/api/push/subscriptions", { method: "POST", token: u.token, json: sub })).status).toBe(201);
    const removed = await api("/api/push/subscriptions", { method: "DELETE", token: u.token, json: { endpoint: sub.endpoint } });
    expect(removed.data).toEqual({ ok: true, removed: true });
    const again = await api("/api/push/subscriptions", { method: "DELETE", token: u.token, json: { endpoint: sub.endpoint } });
    expect(again.data).toEqual({ ok: true, removed: false });
  });

  it("refuses a bad subscription with a clear 400 and keeps nothing", async () => {
    const u = await register("pb");
    const keys = await browserKeys();
    const bad: [unknown, string, RegExp][] = [
      [{ endpoint: "not a url", keys }, "invalid_input", /endpoint/],
      [{ endpoint: "http://push.example.com/x", keys }, "invalid_subscription", /https/],
      [{ endpoint: "ftp://127.0.0.1/x", keys }, "invalid_subscription", /https/],
      [{ endpoint: "https://push.example.com/x", keys: { ...keys, auth: "c2hvcnQ" } }, "invalid_subscription", /16 bytes/],
      [{ endpoint: "https://push.example.com/x", keys: { ...keys, p256dh: "AAAA" } }, "invalid_subscription", /65 bytes/],
      [{ endpoint: "https://push.example.com/x", keys: { ...keys, p256dh: `BA${"A".repeat(85)}` } }, "invalid_subscription", /not a point/],
      [{ endpoint: "https://push.example.com/x", keys: { ...keys, auth: "!!not base64!!" } }, "invalid_subscription", /base64url/],
      [{ endpoint: "https://push.example.com/x" }, "invalid_input", /keys/],
    ];
    for (const [json, code, message] of bad) {
      const res = await api("/api/push/subscriptions", { method: "POST", token: u.token, json });
      expect([res.status, res.data.error.code], JSON.stringify(json)).toEqual([400, code]);
      expect(res.data.error.message).toMatch(message);
    }
    const none = await api("/api/push/subscriptions", { method: "DELETE", token: u.token, json: { endpoint: "https://push.example.com/x" } });
    expect(none.data.removed).toBe(false);
  });
});
