// Cross-site requests and sockets: a browser on another site (or another origin of the
// same site) cannot log the app in or out, or act with its cookie; Bearer clients, which
// send no Origin, keep working.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, register } from "../test/helpers";

const OWN = "http://unibox.test";
const cookie = (token: string) => `unibox_session=${token}`;

describe("writes from another origin", () => {
  it("are refused when they ride on the cookie, and go through from the app's own origin", async () => {
    const [a, b] = [await register("csa"), await register("csb")];
    const ask = (headers: Record<string, string>) => api("/api/friends/requests", { method: "POST", headers: { Cookie: cookie(a.token), ...headers }, json: { to: b.user.handle } });
    // Before: a cookie-authenticated friend request with a foreign Origin went through.
    const foreigns: Record<string, string>[] = [{ Origin: "http://evil.test" }, { Origin: "null" }, { Origin: "http://unibox.test:8080" }, { Origin: "https://unibox.test" }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }];
    for (const foreign of foreigns) {
      const res = await ask(foreign);
      expect([res.status, res.data.error.code], JSON.stringify(foreign)).toEqual([403, "cross_site"]);
    }
    expect((await api("/api/friends/requests", { token: b.token })).data.incoming).toEqual([]);
    expect((await ask({ Origin: OWN, "Sec-Fetch-Site": "same-origin" })).status).toBe(201);
  });

  it("cannot log a victim in (login CSRF) or out, and a text/plain form never reaches a JSON route", async () => {
    const a = await register("cslogin");
    const form = { login: a.user.handle, password: a.password };
    const foreignLogin = await api("/api/auth/login", { method: "POST", headers: { Origin: "http://evil.test" }, json: form });
    expect([foreignLogin.status, foreignLogin.data.error.code]).toEqual([403, "cross_site"]);
    expect(foreignLogin.headers.get("Set-Cookie")).toBeNull();
    const foreignRegister = await api("/api/auth/register", { method: "POST", headers: { "Sec-Fetch-Site": "cross-site" }, json: { handle: "csrfreg", phone: "+1 415 555 0142", password: "long enough pw", displayName: "X" } });
    expect(foreignRegister.data.error.code).toBe("cross_site");
    // What a cross-site <form enctype="text/plain"> sends, from the app's own origin even: not JSON.
    const plain = await api("/api/auth/login", { method: "POST", headers: { "Content-Type": "text/plain", Origin: OWN }, body: JSON.stringify(form) });
    expect([plain.status, plain.data.error.code]).toEqual([415, "unsupported_content_type"]);

    const foreignLogout = await api("/api/auth/logout", { method: "POST", headers: { Cookie: cookie(a.token), Origin: "http://evil.test" } });
    expect(foreignLogout.status).toBe(403);
    expect((await api("/api/me", { headers: { Cookie: cookie(a.token) } })).status).toBe(200);
    expect((await api("/api/auth/logout", { method: "POST", headers: { Cookie: cookie(a.token), Origin: OWN } })).status).toBe(200);
    expect((await api("/api/me", { headers: { Cookie: cookie(a.token) } })).status).toBe(401);
  });

  it("leaves Bearer clients without Origin, and safe methods, alone", async () => {
    const [a, b] = [await register("csbearer"), await register("csbearer2")];
    expect((await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle } })).status).toBe(201);
    expect((await api("/api/friends", { headers: { Cookie: cookie(a.token), Origin: "http://evil.test" } })).status).toBe(200);
  });
});

describe("the WebSocket upgrade", () => {
  const upgrade = (headers: Record<string, string>, query = "") => exports.default.fetch(`${OWN}/api/ws${query}`, { headers: { Upgrade: "websocket", ...headers } });

  it("needs the app's own Origin when the cookie authenticates it", async () => {
    const a = await register("wsorigin");
    // Before: upgraded for Origin: http://evil.test or null, and hello {resume:0} replayed the whole log.
    for (const origin of ["http://evil.test", "null", undefined]) {
      const res = await upgrade({ Cookie: cookie(a.token), ...(origin ? { Origin: origin } : {}) });
      expect(res.status, String(origin)).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("cross_site");
    }
    const own = await upgrade({ Cookie: cookie(a.token), Origin: OWN });
    expect(own.status).toBe(101);
    own.webSocket!.accept();
    own.webSocket!.close(1000, "bye");
    const bearer = await upgrade({ Authorization: `Bearer ${a.token}` });
    expect(bearer.status).toBe(101);
    bearer.webSocket!.accept();
    bearer.webSocket!.close(1000, "bye");
  });

  it("is refused when the app expects someone else to be signed in", async () => {
    const [a, b] = [await register("wsas"), await register("wsas2")];
    const wrong = await upgrade({ Authorization: `Bearer ${a.token}` }, `?as=${b.user.id}`);
    expect([wrong.status, ((await wrong.json()) as { error: { code: string } }).error.code]).toEqual([409, "session_changed"]);
    const right = await upgrade({ Authorization: `Bearer ${a.token}` }, `?as=${a.user.id}`);
    expect(right.status).toBe(101);
    right.webSocket!.accept();
    right.webSocket!.close(1000, "bye");
  });
});

describe("the session cookie", () => {
  it("is __Host- prefixed, Secure, HttpOnly, SameSite=Strict and Path=/ over https, and only that name counts there", async () => {
    const res = await exports.default.fetch("https://unibox.test/api/auth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": "198.51.100.251" },
      body: JSON.stringify({ handle: "hostcookie", phone: "+1 415 555 0143", password: "long enough pw", displayName: "H" }),
    });
    expect(res.status).toBe(201);
    const set = res.headers.get("Set-Cookie")!;
    expect(set).toMatch(/^__Host-unibox_session=[\w-]+;/);
    for (const part of ["Path=/", "HttpOnly", "Secure", "SameSite=Strict"]) expect(set).toContain(part);
    expect(set).not.toMatch(/Domain=/i);
    const token = /^__Host-unibox_session=([\w-]+)/.exec(set)![1]!;
    const me = (name: string) => exports.default.fetch("https://unibox.test/api/me", { headers: { Cookie: `${name}=${token}` } });
    expect((await me("__Host-unibox_session")).status).toBe(200);
    // A cookie without the prefix could have been planted by a sibling subdomain or over http.
    expect((await me("unibox_session")).status).toBe(401);
  });
});
