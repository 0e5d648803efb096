// Workers Logs can filter by any field only if every line is a JSON object with an event
// name, and must never show what users said or their secrets. This drives a real session
// through wrangler dev (sign-up, friends, messages, a bound Matrix account with a password,
// a failing request) and reads every line the Worker and its objects printed.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeFriends, signUp } from "../chaos/http";
import { type DevServer, startDevServer } from "../support/dev-server";
import { FakeMatrix } from "../support/fakes/matrix";

const SECRETS = { PHONE_PEPPER: "pepper-for-the-log-shape-test-9d3f", CREDENTIALS_KEY: "bG9nLXNoYXBlLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmc" };
const BODY = "a private sentence nobody else may read 7c1e";
const MATRIX_PASSWORD = "matrix password that must stay secret 51ab";

let server: DevServer;
let hs: FakeMatrix;
const tokens: string[] = [];

beforeAll(async () => {
  hs = await new FakeMatrix().start();
  hs.addUser("logger", MATRIX_PASSWORD, "Logger");
  server = await startDevServer({ vars: SECRETS });
  const [a, b] = [await signUp(server.url, "loga"), await signUp(server.url, "logb")];
  tokens.push(a.token, b.token);
  await makeFriends(server.url, a, b);
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/ws`, { headers: { Authorization: `Bearer ${a.token}` } });
  await new Promise((r) => ws.once("open", r));
  const accepted = new Promise((r) => ws.on("message", (d) => String(d).includes('"accepted"') && r(undefined)));
  ws.send(JSON.stringify({ t: "hello", fresh: true }));
  ws.send(JSON.stringify({ t: "send", id: "log-1", to: { user: b.id }, body: { type: "text", text: BODY } }));
  await accepted;
  ws.send("not json at all");
  await call(server.url, "/api/accounts", { token: a.token, json: { network: "matrix", credentials: { homeserver: hs.url, user: "logger", password: MATRIX_PASSWORD } } });
  await fetch(`${server.url}/api/friends/requests`, { method: "POST", headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" }, body: "{broken" });
  ws.close();
  await new Promise((r) => setTimeout(r, 1500)); // wrangler prints asynchronously
});

afterAll(async () => {
  await server?.stop();
  await hs?.stop();
});

/** The lines our code printed: wrangler's own output is not JSON and starts otherwise. */
const ours = () => server.logs().split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));

describe("log lines", () => {
  it("are JSON objects with an event name, one per request and per socket lifecycle step", () => {
    const lines = ours();
    expect(lines.length).toBeGreaterThan(10);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as { event?: unknown };
      } catch {
        return { event: undefined, line: l };
      }
    });
    expect(parsed.filter((p) => typeof p.event !== "string")).toEqual([]);
    const events = new Set(parsed.map((p) => p.event));
    for (const e of ["request", "socket.open", "socket.ready", "socket.close"]) expect(events, e).toContain(e);
    const requests = parsed.filter((p) => p.event === "request") as { status: number; path: string; code?: string }[];
    expect(requests.find((r) => r.path === "/api/friends/requests" && r.status === 400)).toMatchObject({ code: "invalid_json" });
  });

  it("carry no message text, password, token or secret anywhere in the output", () => {
    const all = server.logs();
    for (const secret of [BODY, MATRIX_PASSWORD, SECRETS.PHONE_PEPPER, SECRETS.CREDENTIALS_KEY, ...tokens]) expect(all.includes(secret), secret.slice(0, 12)).toBe(false);
    // The proof that the scan saw the run: the bound account's id and the sign-ups are in it.
    expect(all).toContain('"path":"/api/accounts"');
  });
});
