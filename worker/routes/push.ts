import { Hono } from "hono";
import { requireUser } from "../auth/session";
import type { AppEnv, Env } from "../env";
import { ApiError, fail } from "../errors";
import { hubOf } from "../../durable-objects/stubs";
import { fromBase64url } from "../../core/bytes";
import { pushEndpointBody, pushSubscriptionBody } from "../../core/protocol";
import { json } from "../validate";

// Web Push: the VAPID key a browser subscribes with, and the browser's subscription, kept
// by the user's hub, which pushes while the user has no socket open (UserHub.notifyAway).

const unavailable = () => new ApiError("push_unavailable", "this server has no Web Push keys configured");
const invalid = (message: string) => fail("invalid_subscription", message);

export const push = new Hono<AppEnv>()
  .use(requireUser)
  .get("/key", (c) => {
    if (!c.env.VAPID_PUBLIC_KEY || !c.env.VAPID_PRIVATE_KEY) throw unavailable();
    return c.json({ key: c.env.VAPID_PUBLIC_KEY });
  })
  .post("/subscriptions", json(pushSubscriptionBody), async (c) => {
    if (!c.env.VAPID_PUBLIC_KEY || !c.env.VAPID_PRIVATE_KEY) throw unavailable();
    const input = c.req.valid("json");
    checkEndpoint(input.endpoint, c.env);
    await checkKeys(input.keys);
    const me = c.get("userId");
    await hubOf(c.env, me).addPushSubscription({ endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth });
    return c.json({ ok: true }, 201);
  })
  .delete("/subscriptions", json(pushEndpointBody), async (c) => {
    const { endpoint } = c.req.valid("json");
    const me = c.get("userId");
    const removed = await hubOf(c.env, me).removePushSubscription(endpoint);
    return c.json({ ok: true, removed });
  });

/** Push services are reached over https; plain http only to this machine, and only when allowed locally. */
function checkEndpoint(endpoint: string, env: Env): void {
  const url = new URL(endpoint);
  if (url.protocol === "https:") return;
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol === "http:" && loopback && env.PUSH_ALLOW_LOOPBACK_HTTP === "1") return;
  throw invalid("endpoint: a push service is reached over https");
}

/** p256dh must be a point on P-256 (65 bytes, uncompressed) and auth a 16-byte secret (RFC 8291 §3.2). */
async function checkKeys(keys: { p256dh: string; auth: string }): Promise<void> {
  let p256dh: Uint8Array<ArrayBuffer>;
  let auth: Uint8Array;
  try {
    p256dh = fromBase64url(keys.p256dh);
    auth = fromBase64url(keys.auth);
  } catch {
    throw invalid("keys: p256dh and auth are base64url");
  }
  if (auth.length !== 16) throw invalid("keys.auth: 16 bytes expected");
  if (p256dh.length !== 65 || p256dh[0] !== 4) throw invalid("keys.p256dh: an uncompressed P-256 public key (65 bytes) expected");
  try {
    await crypto.subtle.importKey("raw", p256dh, { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    throw invalid("keys.p256dh: not a point on P-256");
  }
}
