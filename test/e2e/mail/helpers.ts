// Node-side helpers for the mail tests under wrangler dev: its local email endpoint, a
// phone that resumes from its last seq (so what happened while away is replayed), uploads.
import WebSocket from "ws";
import type { HubEvent, Mail, MailSummary, ServerFrame } from "../../../core/protocol";
import type { Session } from "../../support/accounts";

/**
 * Hands a raw message to the Worker's email() the way Email Routing would, through
 * wrangler dev's endpoint: `/cdn-cgi/local/email` (this wrangler; `/cdn-cgi/handler/email`
 * is the older name it still rewrites to it). Answers 200, or 400 with the reject reason.
 */
export async function deliverLocal(base: string, from: string, to: string, raw: string | Uint8Array, path = "/cdn-cgi/local/email") {
  const res = await fetch(`${base}${path}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { method: "POST", body: typeof raw === "string" ? raw : raw.slice() });
  return { status: res.status, text: await res.text() };
}

export const crlf = (lines: string[]) => lines.join("\r\n");

let n = 0;
/** A plain mail with a fresh Message-ID. */
export function plainMail(o: { from?: string; to: string; subject: string; text?: string; headers?: string[] }): string {
  return crlf([`From: ${o.from ?? "Bob <bob@example.net>"}`, `To: ${o.to}`, `Subject: ${o.subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <e2e.${Date.now()}.${++n}@example.net>`, ...(o.headers ?? []), "", o.text ?? "Hello.", ""]);
}

export type ResumingPhone = {
  events: HubEvent[];
  frames: ServerFrame[];
  seq: number;
  send(frame: unknown): void;
  waitFrame<F = ServerFrame>(pred: (f: ServerFrame) => boolean, timeoutMs?: number, what?: string): Promise<F>;
  close(): Promise<void>;
};

/** A socket that says hello with `resume` (0: from the start; undefined: fresh) and keeps every frame. */
export async function resumingPhone(base: string, s: Session, resume?: number): Promise<ResumingPhone> {
  const socket = new WebSocket(`${base.replace("http", "ws")}/api/ws`, { headers: { Authorization: `Bearer ${s.token}` } });
  const frames: ServerFrame[] = [];
  const events: HubEvent[] = [];
  let seq = resume ?? 0;
  const waiters = new Set<() => void>();
  socket.on("message", (d) => {
    const text = String(d);
    if (text === "pong") return;
    const f = JSON.parse(text) as ServerFrame;
    frames.push(f);
    if (f.t === "ev") {
      events.push(f.ev);
      seq = f.seq;
      socket.send(JSON.stringify({ t: "ack", seq: f.seq }));
    }
    if (f.t === "ready" && resume === undefined) seq = f.head;
    for (const w of waiters) w();
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  // Often: the tests run with a presence grace of a few seconds, and a silent socket is closed after it.
  const keepalive = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send("ping"), 1_000);
  const waitFrame = <F = ServerFrame>(pred: (f: ServerFrame) => boolean, timeoutMs = 20_000, what = "a frame") =>
    new Promise<F>((resolve, reject) => {
      const check = () => {
        const f = frames.find(pred);
        if (!f) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(f as F);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; last frames: ${JSON.stringify(frames.slice(-6)).slice(0, 1500)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  socket.send(JSON.stringify(resume === undefined ? { t: "hello", fresh: true } : { t: "hello", resume }));
  await waitFrame((f) => f.t === "ready", 20_000, "ready");
  return {
    events,
    frames,
    get seq() {
      return seq;
    },
    send: (frame) => socket.send(JSON.stringify(frame)),
    waitFrame,
    async close() {
      clearInterval(keepalive);
      if (socket.readyState === WebSocket.CLOSED) return;
      // The close handshake is not always answered quickly; the hub sees our Close frame either way.
      const closed = new Promise((r) => socket.once("close", r));
      socket.close();
      await Promise.race([closed, sleep(500)]);
    },
  };
}

export const mailsOf = (events: HubEvent[]) => events.flatMap((e) => (e.type === "mail" ? [e.mail] : []));

export async function listMail(base: string, s: Session, account?: string): Promise<MailSummary[]> {
  const res = await fetch(`${base}/api/mail?limit=200${account ? `&account=${account}` : ""}`, { headers: { Authorization: `Bearer ${s.token}` } });
  return ((await res.json()) as { mails: MailSummary[] }).mails;
}

export async function readMail(base: string, s: Session, id: string): Promise<Mail> {
  const res = await fetch(`${base}/api/mail/${id}`, { headers: { Authorization: `Bearer ${s.token}` } });
  return ((await res.json()) as { mail: Mail }).mail;
}

/** POST /api/mail/attachments: a file to attach to a mail. */
export async function uploadAttachment(base: string, s: Session, bytes: Uint8Array, type: string, name: string): Promise<string> {
  const res = await fetch(`${base}/api/mail/attachments?name=${encodeURIComponent(name)}`, { method: "POST", headers: { Authorization: `Bearer ${s.token}`, "Content-Type": type }, body: bytes.slice() });
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { media: { id: string } }).media.id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
