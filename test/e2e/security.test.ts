// Over real HTTP against `wrangler dev`: the app shell's security headers as Workers
// Static Assets serves them, JSON bodies read with a cap as they arrive (a huge chunked
// body, a body held open, a client gone mid-body), and verification codes sent through
// the Twilio-shaped provider to a fake Twilio on 127.0.0.1. Needs client/dist (vite build).
import { existsSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { type FakeTwilio, startFakeTwilio } from "../support/fake-twilio";

let server: DevServer;
let twilio: FakeTwilio;

beforeAll(async () => {
  if (!existsSync(new URL("../../client/dist/index.html", import.meta.url))) throw new Error("build the client first: npx vite build");
  twilio = await startFakeTwilio();
  server = await startDevServer({
    vars: { SMS_PROVIDER: "twilio", SMS_API_ROOT: twilio.url, TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_FROM: twilio.from },
  });
});

afterAll(async () => {
  await server?.stop();
  await twilio?.close();
});

let n = 0;
const phone = () => `+1 646 555 ${String(1200 + ++n)}`;
async function signUp(name: string) {
  const handle = `${name}_${Date.now() % 1e6}${++n}`;
  const data = await call(server.url, "/api/auth/register", { json: { handle, phone: phone(), password: "long enough pw", displayName: name } });
  return { token: data.token as string, e164: data.user.phone as string, handle };
}

describe("the app shell's headers, as wrangler dev serves them", () => {
  const CSP = /^default-src 'self'; script-src 'self' 'sha256-[\w+/=]+'; .*frame-ancestors 'none'$/;

  it("are on the shell, on client-side routes (the SPA fallback) and on every static file", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const path of ["/", "/chat/d:u_a:u_b", "/signup", "/sw.js", "/manifest.webmanifest", ...assets]) {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
      // Before, the shell had none of these.
      expect(res.headers.get("Content-Security-Policy"), path).toMatch(CSP);
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("X-Frame-Options"), path).toBe("DENY");
      expect(res.headers.get("Referrer-Policy"), path).toBe("strict-origin-when-cross-origin");
      expect(res.headers.get("Permissions-Policy"), path).toBe("camera=(self), microphone=(self), geolocation=(self)");
    }
    // The only inline script is the hashed theme script; the config file itself is not served.
    expect([...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)]).toHaveLength(1);
    expect(await (await fetch(`${server.url}/_headers`)).text()).not.toContain("Content-Security-Policy");
  });

  it("and the API's own, from the Worker", async () => {
    const res = await fetch(`${server.url}/api/me`);
    expect([res.status, res.headers.get("Content-Security-Policy"), res.headers.get("X-Content-Type-Options")]).toEqual([401, "default-src 'none'; frame-ancestors 'none'; sandbox", "nosniff"]);
  });
});

/** A raw HTTP request whose body the test writes piece by piece; resolves with the answer, if one comes. */
function rawPost(path: string, opts: { length?: number } = {}) {
  const req = request(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(opts.length === undefined ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(opts.length) }) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
  });
  return { req, answer };
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

describe("JSON bodies over real HTTP", () => {
  it("refuses a 96 MB chunked body early, not after reading it", async () => {
    // The Worker's own request line: wrangler's access line is missing when its proxy failed the request.
    const refusals = () => server.logs().match(/"method":"POST","path":"\/api\/auth\/login","status":413/g)?.length ?? 0;
    const before = refusals();
    const { req, answer } = rawPost("/api/auth/login");
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    // The server answers 413 and closes; a client still writing may see that as a reset
    // before it reads the answer. Either way the server stopped reading.
    const outcome = answer.then((r) => r, (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? "reset" : Promise.reject(err)));
    let done = false;
    void outcome.then(() => (done = true));
    // Write as the socket drains; stop once the server has answered (or 96 MB are out).
    while (!done && written < 96 * 1024 * 1024) {
      written += chunk.length;
      // A server that stopped reading never drains the socket again: its answer ends the wait.
      if (!req.write(chunk)) await Promise.race([new Promise((r) => req.once("drain", r)), outcome]);
    }
    const res = await within(outcome, 10_000);
    req.destroy();
    // wrangler dev's proxy sits between this client and workerd: when workerd answers and
    // drops the upload, the proxy may report that to us as its own "Network connection
    // lost" text instead of passing the 413 on (seen once in CI). That is the same reset,
    // one hop later; the server's own 413 is still required from its log below.
    const proxyReset = res !== "reset" && res.status >= 500 && /^Error: Network connection lost/.test(res.body);
    if (res !== "reset" && !proxyReset) expect([res.status, JSON.parse(res.body).error.code]).toEqual([413, "body_too_large"]);
    try {
      await expect.poll(refusals).toBe(before + 1);
    } catch (err) {
      throw new Error(`${(err as Error).message}; client saw ${res === "reset" ? "a reset" : `${res.status} ${res.body.slice(0, 80)}`}; server: ${server.logs().split("\n").filter((l) => /auth\/login|Network|body/.test(l)).slice(-6).join(" | ")}`);
    }
    // Before, all 96 MB were read before the 64 KB check.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  // (A declared Content-Length over the cap is refused before the body is read, but not
  // testable here: wrangler dev's ProxyWorker holds a request with a Content-Length until
  // its body is complete. worker/routes/auth.test.ts covers it inside workerd.)
  it("answers a body held open once it passes the cap, without waiting for its end", async () => {
    const { req, answer } = rawPost("/api/auth/login");
    req.write(Buffer.alloc(70 * 1024, 0x20));
    const res = await within(answer, 10_000);
    expect([res.status, JSON.parse(res.body).error.code]).toEqual([413, "body_too_large"]);
    req.destroy();
  });

  it("survives a client that goes away mid-body: no 500, nothing uncaught, and the next request is served", async () => {
    for (let i = 0; i < 5; i++) {
      const { req, answer } = rawPost("/api/auth/login");
      answer.catch(() => undefined);
      req.write('{"login":"someone","password":"');
      await new Promise((r) => setTimeout(r, 100));
      req.destroy();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = await fetch(`${server.url}/api/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login: "nobody_x", password: "whatever pw" }) });
    expect(after.status).toBe(401);
    expect(server.logs()).not.toMatch(/Uncaught|unhandled rejection|Error in Worker fetch/i);
    expect(server.logs()).not.toMatch(/POST \/api\/auth\/login 500/);
  });
});

describe("verification codes through the Twilio-shaped provider", () => {
  it("texts the code to the E.164 number with the origin-bound line, and the code verifies the number", async () => {
    const u = await signUp("Twilio");
    const { verification } = await call(server.url, "/api/me/phone", { token: u.token, json: {} });
    expect(verification.phone).toBe(u.e164);
    const message = twilio.sent.at(-1)!;
    expect(message).toMatchObject({ to: u.e164, from: twilio.from });
    const code = twilio.codeFor(u.e164)!;
    // The last line lets the phone's browser offer the code (WebOTP): @host #code.
    expect(message.body).toMatch(new RegExp(`\\n@127\\.0\\.0\\.1 #${code}$`));
    const { user } = await call(server.url, "/api/me/phone/verify", { token: u.token, json: { code } });
    expect(user.phoneVerified).toBe(true);
    // No number and no code in the server's own log: the provider was Twilio, not `log`.
    expect(server.logs()).not.toContain(code);
    expect(server.logs()).not.toContain(u.e164);
  });

  it("says sms_failed (502, retryable) when Twilio refuses or is down, and logs why without the number", async () => {
    const u = await signUp("Refused");
    for (const [status, code] of [[429, 20429], [500, 20500], [401, 20003]] as const) {
      twilio.failNext(status, code);
      const res = await fetch(`${server.url}/api/me/phone`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${u.token}` }, body: "{}" });
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([502, "sms_failed"]);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(server.logs()).toMatch(/"event":"sms\.failed","provider":"twilio","status":429,"code":20429/);
    expect(server.logs()).not.toContain(u.e164);
    // A failed send does not start the resend countdown.
    expect((await call(server.url, "/api/me/phone", { token: u.token, json: {} })).verification.phone).toBe(u.e164);
  });
});
