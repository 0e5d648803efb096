// A push service on 127.0.0.1, written from RFC 8030 (the Web Push protocol), RFC 8291
// (payload encryption) and RFC 8292 (VAPID), because no real one can run here. It checks
// what a real one checks — the VAPID token's signature, audience and expiry, the content
// coding, TTL — and, playing the browser too, decrypts each message with node:crypto (an
// implementation independent of the Worker's WebCrypto code). Endpoints can be told to
// answer 410 (unsubscribed) or to fail a number of times first (5xx).
import { createECDH, createDecipheriv, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { type IncomingMessage, type Server, createServer } from "node:http";

export type Received = { endpoint: string; headers: IncomingMessage["headers"]; payload: unknown; at: number };

export type Browser = { endpoint: string; keys: { p256dh: string; auth: string } };

export class PushService {
  readonly received: Received[] = [];
  /** What was wrong with requests a real push service would refuse (answered 400). */
  readonly problems: string[] = [];
  /** Every request, also refused ones: endpoint and the status answered. */
  readonly requests: { endpoint: string; status: number }[] = [];
  private browsers = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
  private answers = new Map<string, number[]>();
  private named = new Map<string, Browser>();
  private server!: Server;
  origin = "";

  /** The VAPID public key (base64url) the application server must sign with. */
  constructor(private vapidPublicKey: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const endpoint = `${this.origin}${req.url}`;
        const status = this.handle(endpoint, req, Buffer.concat(chunks));
        this.requests.push({ endpoint, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A browser's subscription at this service: a fresh P-256 key and auth secret (the same one again for the same name). */
  subscribe(name: string): Browser {
    const known = this.named.get(name);
    if (known) return known;
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const endpoint = `${this.origin}/push/${name}`;
    this.browsers.set(endpoint, { ecdh, auth });
    const browser = { endpoint, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") } };
    this.named.set(name, browser);
    return browser;
  }

  /** The next answers for an endpoint, in order (then 201 again). */
  answer(endpoint: string, ...statuses: number[]): void {
    this.answers.set(endpoint, statuses);
  }

  for(endpoint: string): Received[] {
    return this.received.filter((r) => r.endpoint === endpoint);
  }

  private handle(endpoint: string, req: IncomingMessage, body: Buffer): number {
    const browser = this.browsers.get(endpoint);
    if (!browser) return 404;
    if (req.method !== "POST") return 405;
    const next = this.answers.get(endpoint)?.shift();
    if (next !== undefined && next >= 300) return next;
    try {
      const problem = this.checkRequest(endpoint, req);
      if (problem) throw new Error(problem);
      const plaintext = decrypt(body, browser.ecdh, browser.auth);
      this.received.push({ endpoint, headers: req.headers, payload: JSON.parse(plaintext.toString("utf8")), at: Date.now() });
      return 201;
    } catch (err) {
      this.problems.push(`${endpoint}: ${(err as Error).message}`);
      return 400;
    }
  }

  /** What RFC 8030 and RFC 8292 require of a request; a string says what is wrong. */
  private checkRequest(endpoint: string, req: IncomingMessage): string | undefined {
    if (req.headers["content-encoding"] !== "aes128gcm") return `content-encoding ${req.headers["content-encoding"]}`;
    if (!/^\d+$/.test(String(req.headers.ttl ?? ""))) return "no TTL";
    const topic = req.headers.topic;
    if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(String(topic))) return `bad Topic ${topic}`;
    const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(req.headers.authorization ?? ""));
    if (!auth) return `authorization ${req.headers.authorization}`;
    const [, token, k] = auth;
    if (k !== this.vapidPublicKey) return "k is not the server's VAPID key";
    const [h, c, s] = token!.split(".");
    const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64(k!).subarray(1, 33).toString("base64url"), y: b64(k!).subarray(33).toString("base64url") }, format: "jwk" });
    if (!verify("sha256", Buffer.from(`${h}.${c}`), { key, dsaEncoding: "ieee-p1363" }, b64(s!))) return "VAPID signature does not verify";
    const header = JSON.parse(b64(h!).toString("utf8"));
    const claims = JSON.parse(b64(c!).toString("utf8"));
    if (header.alg !== "ES256") return `alg ${header.alg}`;
    if (claims.aud !== new URL(endpoint).origin) return `aud ${claims.aud}`;
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) return `exp ${claims.exp}`;
    if (!/^(mailto:|https:)/.test(claims.sub)) return `sub ${claims.sub}`;
    return undefined;
  }
}

const b64 = (s: string) => Buffer.from(s, "base64url");

/** RFC 8291 §3 and RFC 8188 §2, as the browser does it. */
function decrypt(body: Buffer, ecdh: ReturnType<typeof createECDH>, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const serverPublic = body.subarray(21, 21 + idlen);
  const records = body.subarray(21 + idlen);
  if (records.length > rs) throw new Error("push service: more than one record");
  const shared = ecdh.computeSecret(serverPublic);
  const info = Buffer.concat([Buffer.from("WebPush: info\0"), ecdh.getPublicKey(), serverPublic]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, auth, info, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(records.subarray(records.length - 16));
  const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
  // Strip padding: the last non-zero byte is the delimiter, 2 for the last record.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("push service: not the last-record delimiter");
  return padded.subarray(0, end);
}
