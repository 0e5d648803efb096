// Node-side helpers for the bound-account tests: a signed-up user with a live socket that
// collects events, binding accounts over HTTP, and firing wrangler dev's Cron.
import WebSocket from "ws";
import type { HubEvent, ServerFrame } from "../../core/protocol";
import { call, makeFriends, type Session, signUp } from "../chaos/http";

export type Phone = {
  session: Session;
  /** The newest seq this phone holds: reopen with it to resume as a real phone does. */
  lastSeq: number;
  events: HubEvent[];
  frames: ServerFrame[];
  socket: WebSocket;
  /** Resolves with the first event (from now on or already seen) that matches. */
  waitEvent<T extends HubEvent>(pred: (ev: HubEvent) => boolean, timeoutMs?: number, what?: string): Promise<T>;
  waitEvents(pred: (ev: HubEvent) => boolean, count: number, timeoutMs?: number, what?: string): Promise<HubEvent[]>;
  send(frame: unknown): void;
  close(): void;
};

/** Opens a socket as a phone would (hello fresh, or resume from `resume`) and keeps every event. */
export async function openPhone(base: string, session: Session, resume?: number): Promise<Phone> {
  const socket = new WebSocket(`${base.replace("http", "ws")}/api/ws`, { headers: { Authorization: `Bearer ${session.token}` } });
  const events: HubEvent[] = [];
  const frames: ServerFrame[] = [];
  const waiters: (() => void)[] = [];
  const state = { lastSeq: resume ?? 0 };
  socket.on("message", (d) => {
    const text = String(d);
    if (text === "pong") return;
    const f = JSON.parse(text) as ServerFrame;
    frames.push(f);
    if (f.t === "ready") state.lastSeq = Math.max(state.lastSeq, f.head);
    if (f.t === "ev") {
      state.lastSeq = f.seq;
      events.push(f.ev);
      socket.send(JSON.stringify({ t: "ack", seq: f.seq }));
    }
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const ready = new Promise<void>((resolve) => waiters.push(function check() {
    if (frames.some((f) => f.t === "ready")) resolve();
    else waiters.push(check);
  }));
  socket.send(JSON.stringify(resume === undefined ? { t: "hello", fresh: true } : { t: "hello", resume }));
  await ready;
  const keepalive = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send("ping"), 20_000);
  const waitEvents = async (pred: (ev: HubEvent) => boolean, count: number, timeoutMs = 20_000, what = "events") => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.filter(pred);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} ${what}; have ${found.length}; last events: ${JSON.stringify(events.slice(-5)).slice(0, 1500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };
  return {
    session,
    get lastSeq() {
      return state.lastSeq;
    },
    events,
    frames,
    socket,
    waitEvent: async <T extends HubEvent>(pred: (ev: HubEvent) => boolean, timeoutMs?: number, what?: string) => (await waitEvents(pred, 1, timeoutMs, what))[0] as T,
    waitEvents,
    send: (frame) => socket.send(JSON.stringify(frame)),
    close() {
      clearInterval(keepalive);
      socket.close();
    },
  };
}

export { call, makeFriends, signUp, type Session };

/** POST /api/accounts; returns the status and body instead of throwing, so refusals can be checked. */
export async function bind(base: string, s: Session, network: string, credentials: Record<string, unknown>, label?: string) {
  const res = await fetch(`${base}/api/accounts`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${s.token}` },
    body: JSON.stringify({ network, credentials, ...(label ? { label } : {}) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Fires the Worker's Cron handler under wrangler dev, as Cloudflare would each minute. */
export async function fireCron(base: string): Promise<void> {
  const res = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`);
  if (!res.ok) throw new Error(`scheduled endpoint answered ${res.status}: ${await res.text()}`);
}
