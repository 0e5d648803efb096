// Test helpers for the workerd project: the Worker's real fetch, real hubs, real D1.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ServerFrame, User } from "../../core/protocol";

let ipCounter = 0;
let phoneCounter = 0;
/**
 * A fresh client IP per call keeps per-IP rate limits out of unrelated tests. Never reused
 * (it used to wrap after 250), and random per module load, so it holds even where files
 * share one runtime (`isolate: false`). IPv6 documentation space.
 */
const ipPrefix = `2001:db8:${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}`;
export const freshIp = () => `${ipPrefix}::${(++ipCounter).toString(16)}`;

export async function api(path: string, init: RequestInit & { token?: string; json?: unknown; ip?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  headers.set("CF-Connecting-IP", init.ip ?? freshIp());
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = typeof init.json === "string" ? init.json : JSON.stringify(init.json);
  }
  const res = await exports.default.fetch(`http://unibox.test${path}`, { ...init, headers, body });
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: res.status, headers: res.headers, data };
}

export type TestUser = { user: User; token: string; phone: string; password: string };

// Codes reach tests the way they reach a developer: the `log` SMS provider (the default
// on a local host such as unibox.test) writes one JSON line per code to the server log,
// and the Worker runs in this isolate, so its console is ours. The lines are kept here
// (newest code per number) instead of being printed.
const codes = new Map<string, string>();
const print = console.log.bind(console);
console.log = (...args: unknown[]) => {
  const line = typeof args[0] === "string" && args.length === 1 ? args[0] : "";
  if (line.startsWith('{"event":"sms.code"')) {
    const { to, code } = JSON.parse(line) as { to: string; code: string };
    codes.set(to, code);
    return;
  }
  print(...args);
};

/** The newest code the server "texted" to an E.164 number, if any. */
export const smsCodeFor = (e164: string): string | undefined => codes.get(e164);
export const e164Of = (phone: string) => phone.replace(/[^\d+]/g, "");

/** Asks for a code to the user's number (or `phone`) and types it in, as a person would. */
export async function verifyPhone(token: string, phone: string, body: { phone?: string; region?: string } = {}): Promise<User> {
  const sent = await api("/api/me/phone", { method: "POST", token, json: body });
  expect(sent.status, JSON.stringify(sent.data)).toBe(200);
  const code = smsCodeFor(sent.data.verification.phone ?? e164Of(phone));
  expect(code, `no code was logged for ${phone}`).toMatch(/^\d{6}$/);
  const done = await api("/api/me/phone/verify", { method: "POST", token, json: { code } });
  expect(done.status, JSON.stringify(done.data)).toBe(200);
  return done.data.user;
}

/** Registers a user with a unique handle and a valid US number, and verifies the number. */
export async function register(name: string, { verify = true } = {}): Promise<TestUser> {
  const n = ++phoneCounter;
  const handle = `${name}${n}`.toLowerCase().slice(0, 20);
  const phone = `+1 415 555 ${String(1000 + n).padStart(4, "0")}`;
  const password = "correct horse battery";
  const res = await api("/api/auth/register", { method: "POST", json: { handle, phone, password, displayName: name } });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  const user = verify ? await verifyPhone(res.data.token, phone) : res.data.user;
  return { user, token: res.data.token, phone, password };
}

/** Makes a and b friends through the real request/accept routes. */
export async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const req = await api("/api/friends/requests", { method: "POST", token: a.token, json: { to: b.user.handle, message: "hi, it's " + a.user.displayName } });
  expect(req.status, JSON.stringify(req.data)).toBe(201);
  const acc = await api(`/api/friends/requests/${req.data.request.id}/accept`, { method: "POST", token: b.token });
  expect(acc.status, JSON.stringify(acc.data)).toBe(200);
}

/** A WebSocket to the user's hub through the Worker, with a frame queue to await on. */
export class Client {
  frames: ServerFrame[] = [];
  pongs = 0;
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  // Like a phone: the bare text ping, well inside the (5 s in tests) presence grace.
  private keepalive: ReturnType<typeof setInterval> | undefined;

  private constructor(readonly ws: WebSocket, keepalive: boolean) {
    if (keepalive) this.keepalive = setInterval(() => this.ws.readyState === WebSocket.OPEN && this.ws.send("ping"), 1500);
    ws.addEventListener("message", (e) => {
      const data = e.data as string;
      if (data === "pong") this.pongs++;
      else this.frames.push(JSON.parse(data));
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      clearInterval(this.keepalive);
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  static async open(token: string, resume?: number, { keepalive = true, path = "/api/ws" } = {}): Promise<Client> {
    const res = await exports.default.fetch(`http://unibox.test${path}`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` } });
    expect(res.status, await (res.status === 101 ? "" : res.text())).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const client = new Client(ws, keepalive);
    if (resume !== undefined) {
      client.send({ t: "hello", resume });
      await client.next((f) => f.t === "ready");
    }
    return client;
  }

  /** A socket to a group's room (`hello` given: sent, and its `ready` awaited). */
  static async room(token: string, groupId: string, hello?: { resume?: number; fresh?: boolean }): Promise<Client> {
    const client = await Client.open(token, undefined, { path: `/api/groups/${groupId}/ws` });
    if (hello) {
      client.send({ t: "hello", ...hello });
      await client.next((f) => f.t === "ready");
    }
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with (and removes) the first queued frame that matches. */
  async next<F extends ServerFrame = ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 5000): Promise<F> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as F;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  events(type?: string) {
    return this.frames.filter((f): f is Extract<ServerFrame, { t: "ev" }> => f.t === "ev" && (!type || f.ev.type === type));
  }

  close() {
    clearInterval(this.keepalive);
    this.ws.close(1000, "bye");
  }
}

/**
 * Makes one of a hub's timers due now (inside runInDurableObject): through its store,
 * which keeps timers in memory as well, so an UPDATE behind its back would not be seen.
 */
export function timerDueNow(hubInstance: unknown, kind: string): void {
  (hubInstance as { hub: { store: { timers: { set(kind: string, due: number): void } } } }).hub.store.timers.set(kind, Date.now() - 1);
}

export const textBody = (text: string) => ({ type: "text" as const, text });

/** Owner plus friends, all befriended with the owner (and with each other when asked). */
export async function crew(n: number, { mutual = false } = {}) {
  const users: TestUser[] = [];
  for (let i = 0; i < n; i++) users.push(await register(`g${i}`));
  for (const u of users.slice(1)) await befriend(users[0]!, u);
  if (mutual) for (let i = 1; i < n; i++) for (let j = i + 1; j < n; j++) await befriend(users[i]!, users[j]!);
  return users;
}

export async function createGroup(owner: TestUser, members: TestUser[], extra: Record<string, unknown> = {}) {
  const res = await api("/api/groups", { method: "POST", token: owner.token, json: { name: "Hike", members: members.map((m) => m.user.id), ...extra } });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return res.data.group as { id: string; conv: string; members: { id: string }[] };
}
