// Binding a Matrix account against the fake homeserver: good and bad credentials, what is
// kept, and homeserver discovery through .well-known/matrix/client.
import { type Server, createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeIO } from "../../../test/support/node-io";
import { matrix } from "./index";
import { type World, world } from "./world.testing";

let w: World;
const servers: Server[] = [];

beforeEach(async () => {
  w = await world();
});

afterEach(async () => {
  await w.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A plain HTTP server on 127.0.0.1 answering every request with `answer`. */
async function serve(answer: (path: string) => { status: number; type: string; body: string }): Promise<string> {
  const server = createServer((req, res) => {
    const a = answer(req.url ?? "/");
    res.writeHead(a.status, { "content-type": a.type }).end(a.body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("verify", () => {
  it("accepts a password: whoami names the user, and the probe login leaves no device or token behind", async () => {
    const result = await matrix.verify(w.creds, w.io);
    expect(result).toEqual({ ok: true, remote: { id: w.me, name: "Alice" } });
    const calls = w.hs.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(calls).toContain("POST /_matrix/client/v3/login 200");
    expect(calls).toContain("POST /_matrix/client/v3/logout 200");
    expect(w.io.store.entries().session).toBeUndefined();
  });

  it("accepts an access token (whoami), and keeps no copy of it in the store", async () => {
    const token = w.hs.tokenFor(w.me);
    const creds = matrix.credentials.parse({ homeserver: w.hs.url, accessToken: token });
    expect(await matrix.verify(creds, w.io)).toEqual({ ok: true, remote: { id: w.me, name: "Alice" } });
    expect(JSON.stringify(w.io.store.entries())).not.toContain(token);
  });

  it("refuses a wrong password and an unknown token with the homeserver's reason", async () => {
    const wrong = matrix.credentials.parse({ homeserver: w.hs.url, user: "alice", password: "nope" });
    expect(await matrix.verify(wrong, w.io)).toEqual({ ok: false, code: "bad_credentials", message: expect.stringContaining("Invalid username or password") });
    const token = matrix.credentials.parse({ homeserver: w.hs.url, accessToken: "syt_not_a_token" });
    expect(await matrix.verify(token, w.io)).toEqual({ ok: false, code: "bad_credentials", message: expect.stringContaining("M_UNKNOWN_TOKEN") });
  });

  it("a server that cannot be reached is unreachable; one that is not a homeserver, or a private address, is invalid input", async () => {
    const closed = await serve(() => ({ status: 200, type: "text/plain", body: "" }));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    expect(await matrix.verify({ ...w.creds, homeserver: closed }, nodeIO("matrix"))).toMatchObject({ ok: false, code: "unreachable" });

    const web = await serve(() => ({ status: 404, type: "text/html", body: "<h1>Not Found</h1>" }));
    expect(await matrix.verify({ ...w.creds, homeserver: web }, nodeIO("matrix"))).toMatchObject({ ok: false, code: "invalid_input", message: expect.stringContaining("not a Matrix homeserver") });

    expect(await matrix.verify({ ...w.creds, homeserver: "http://10.1.2.3:8008" }, nodeIO("matrix"))).toMatchObject({ ok: false, code: "invalid_input", message: expect.stringContaining("Unibox does not connect there") });
  });

  it("the credential forms: a password or a token, nothing else", () => {
    expect(matrix.credentials.safeParse({ homeserver: "example.org", user: "alice", password: "pw" }).success).toBe(true);
    expect(matrix.credentials.safeParse({ homeserver: "example.org", accessToken: "syt_x" }).success).toBe(true);
    expect(matrix.credentials.safeParse({ homeserver: "example.org", user: "alice" }).success).toBe(false);
    expect(matrix.credentials.safeParse({ homeserver: "example.org", accessToken: "t", apiRoot: "http://x" }).success).toBe(false);
  });
});

describe("bound and unbound", () => {
  it("bound logs in as the account's own device and keeps that token; unbound logs that device out", async () => {
    await matrix.bound!(w.creds, w.io);
    const session = w.io.store.entries().session as { token: string; deviceId: string; userId: string };
    expect(session).toMatchObject({ userId: w.me, deviceId: expect.stringMatching(/^UNIBOX_/), token: expect.any(String) });
    expect(JSON.stringify(w.io.store.entries())).not.toContain("alice-pw");
    await matrix.unbound!(w.creds, w.io);
    expect(w.io.store.entries().session).toBeUndefined();
    const whoami = await fetch(`${w.hs.url}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(whoami.status).toBe(401);
  });

  it("logging in again (the store lost its token) reuses the one device instead of adding another", async () => {
    await matrix.bound!(w.creds, w.io);
    const first = (w.io.store.entries().session as { token: string; deviceId: string });
    w.io.store.delete("session");
    await matrix.bound!(w.creds, w.io);
    const second = (w.io.store.entries().session as { token: string; deviceId: string });
    expect(second.deviceId).toBe(first.deviceId);
    const old = await fetch(`${w.hs.url}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${first.token}` } });
    expect(old.status).toBe(401);
  });
});

describe("discovery", () => {
  it("follows .well-known/matrix/client to the homeserver's base_url and remembers it", async () => {
    const site = await serve((path) =>
      path === "/.well-known/matrix/client"
        ? { status: 200, type: "application/json", body: JSON.stringify({ "m.homeserver": { base_url: `${w.hs.url}/` } }) }
        : { status: 404, type: "text/html", body: "no" },
    );
    const io = nodeIO("matrix");
    const creds = { ...w.creds, homeserver: site };
    expect(await matrix.verify(creds, io)).toMatchObject({ ok: true, remote: { id: w.me } });
    expect(io.store.entries().homeserver).toEqual({ typed: site, base: w.hs.url });
  });

  it("a .well-known without a base_url is refused, as the spec says (FAIL_PROMPT)", async () => {
    const site = await serve(() => ({ status: 200, type: "application/json", body: JSON.stringify({ "m.identity_server": {} }) }));
    expect(await matrix.verify({ ...w.creds, homeserver: site }, nodeIO("matrix"))).toMatchObject({ ok: false, code: "invalid_input", message: expect.stringContaining("base_url") });
  });
});
