// The Mail tab's state: lists per mailbox (the own address, each bound mailbox, all of
// them), whole mails as they are opened, and the drafts being written. New mail comes live
// as `mail` events; read state as `mail.read`. A draft is in IndexedDB from its first
// keystroke, so going offline or reloading loses nothing; sending it is a `send` frame
// whose accepted → sent | failed it follows, and a failed send leaves the draft, with why.
import { computed, signal } from "@preact/signals";
import { api, call } from "./api";
import { sendFrame } from "./connection";
import { kv } from "./db";
import { newClientId } from "./ids";
import type { HubEvent, ServerFrame } from "./types";
import type { Mail, MailSummary } from "../../../core/protocol";

export type { Mail, MailSummary };

/** `all`, `own` (the user's own address) or a bound mailbox's account id. */
export type Mailbox = string;
export const ALL = "all";
export const OWN = "own";

type List = { mails: MailSummary[]; before?: string; loaded: boolean };
export const mailLists = signal<Record<Mailbox, List>>({});
export const openedMails = signal<Record<string, Mail>>({});
export const mailbox = signal<Mailbox>(ALL);

const keyOf = (m: Pick<MailSummary, "account">): Mailbox => m.account ?? OWN;

export const listOf = (box: Mailbox): List => mailLists.value[box] ?? { mails: [], loaded: false };

/** Unread received mail among what this device has seen (the tab's badge). */
export const mailUnread = computed(() => {
  const ids = new Set<string>();
  for (const list of Object.values(mailLists.value)) for (const m of list.mails) if (!m.sent && m.read === false) ids.add(m.id);
  return ids.size;
});

export async function loadMail(box: Mailbox, more = false): Promise<void> {
  const before = listOf(box).before;
  if (more && !before) return;
  const page = await call(api.api.mail.$get({ query: { ...(box === ALL ? {} : { account: box }), ...(more && before ? { before } : {}) } }));
  // The list as it is now, not as it was when the page was asked for: mail that came live
  // meanwhile (a reconnect's reload races the replay) is in it and must stay.
  const current = listOf(box);
  const mails = more ? [...current.mails, ...page.mails.filter((m) => !current.mails.some((c) => c.id === m.id))] : mergeLive(page.mails, current.mails);
  setList(box, { mails, before: page.before, loaded: true });
  if (box === ALL) void kv.set("mail.all", mails.slice(0, 50));
}

/** A fresh first page, keeping live arrivals the page did not have yet. */
function mergeLive(page: MailSummary[], known: MailSummary[]): MailSummary[] {
  const newest = page[0]?.at ?? 0;
  const live = known.filter((k) => !page.some((p) => p.id === k.id) && k.at >= newest);
  return [...live, ...page];
}

function setList(box: Mailbox, list: List): void {
  mailLists.value = { ...mailLists.value, [box]: list };
}

let restoring: Promise<void> | undefined;

/** Once per page load: the drafts, and the cached first page of "all" so the tab shows something offline. */
export function restoreMail(): Promise<void> {
  restoring ??= (async () => {
    const [cached, saved] = await Promise.all([kv.get<MailSummary[]>("mail.all"), kv.get<Draft[]>("mail.drafts")]);
    if (cached && !listOf(ALL).loaded) setList(ALL, { mails: cached, loaded: false });
    // Drafts changed meanwhile (typed before the read came back) win over the stored ones.
    const known = new Set(drafts.value.map((d) => d.id));
    drafts.value = [...drafts.value, ...(saved ?? []).filter((d) => !known.has(d.id))];
  })();
  return restoring;
}

export async function openMail(id: string): Promise<Mail> {
  const mail = await call(api.api.mail[":id"].$get({ param: { id } }));
  openedMails.value = { ...openedMails.value, [id]: mail.mail };
  return mail.mail;
}

export async function setRead(id: string, read = true): Promise<void> {
  patch(id, { read });
  await call(api.api.mail[":id"].read.$post({ param: { id }, json: { read } }));
}

function patch(id: string, change: Partial<MailSummary>): void {
  const next: Record<Mailbox, List> = {};
  for (const [box, list] of Object.entries(mailLists.value)) next[box] = { ...list, mails: list.mails.map((m) => (m.id === id ? { ...m, ...change } : m)) };
  mailLists.value = next;
  const open = openedMails.value[id];
  if (open) openedMails.value = { ...openedMails.value, [id]: { ...open, ...change } as Mail };
}

function added(mail: MailSummary): void {
  for (const box of [ALL, keyOf(mail)]) {
    const list = listOf(box);
    if (!list.mails.some((m) => m.id === mail.id)) setList(box, { ...list, mails: [mail, ...list.mails] });
  }
}

export const attachmentUrl = (mail: string, media: string) => `/api/mail/${encodeURIComponent(mail)}/attachments/${encodeURIComponent(media)}`;

// ---- drafts -----------------------------------------------------------------------------

export type DraftFile = { name: string; mime: string; size: number; blob?: Blob; media?: string };
export type Draft = {
  id: string;
  /** `own` or a bound mailbox's account id. */
  from: Mailbox;
  to: string;
  cc: string;
  subject: string;
  text: string;
  files: DraftFile[];
  inReplyTo?: string;
  /** editing → sending (uploading, or waiting for the socket) → queued (accepted) → gone once sent, or failed. */
  state: "editing" | "sending" | "queued" | "failed";
  /** The client id of the send in flight: the same on every retry, so it goes once. */
  sendId?: string;
  msgId?: string;
  error?: { code: string; message: string };
  updatedAt: number;
};

export const drafts = signal<Draft[]>([]);

export function newDraft(over: Partial<Draft> = {}): Draft {
  return { id: newClientId(), from: OWN, to: "", cc: "", subject: "", text: "", files: [], state: "editing", updatedAt: Date.now(), ...over };
}

export async function saveDraft(draft: Draft): Promise<void> {
  const next = { ...draft, updatedAt: Date.now() };
  drafts.value = [...drafts.value.filter((d) => d.id !== draft.id), next];
  await persist();
}

export async function discardDraft(id: string): Promise<void> {
  drafts.value = drafts.value.filter((d) => d.id !== id);
  await persist();
}

const persist = () => kv.set("mail.drafts", drafts.value);
const update = (id: string, change: Partial<Draft>) => {
  const d = drafts.value.find((x) => x.id === id);
  if (!d) return undefined;
  const next = { ...d, ...change, updatedAt: Date.now() };
  drafts.value = drafts.value.map((x) => (x.id === id ? next : x));
  void persist();
  return next;
};

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
export const addresses = (s: string) => s.split(/[,;\s]+/).map((a) => a.trim()).filter(Boolean);
/** What is wrong with a draft before it can go: a key of the catalogue, or null. */
export function draftProblem(d: Draft): "mail.error.to" | "mail.error.cc" | null {
  if (!ADDRESS.test(d.to.trim())) return "mail.error.to";
  if (!addresses(d.cc).every((a) => ADDRESS.test(a))) return "mail.error.cc";
  return null;
}

/** Uploads what still has to go, then sends; resolves once the frame is out (or waits for the socket). */
export async function sendDraft(id: string): Promise<void> {
  let d = update(id, { state: "sending", error: undefined });
  if (!d) return;
  for (const [i, file] of d.files.entries()) {
    if (file.media || !file.blob) continue;
    try {
      const media = await uploadFile(file);
      d = update(id, { files: d!.files.map((f, j) => (j === i ? { name: f.name, mime: f.mime, size: f.size, media } : f)) })!;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === "network") return; // offline: it goes on the next `ready`
      update(id, { state: "failed", error: { code: e.code ?? "internal", message: e.message ?? "" } });
      return;
    }
  }
  transmit(update(id, { sendId: d!.sendId ?? newClientId() })!);
}

async function uploadFile(file: DraftFile): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`/api/mail/attachments?name=${encodeURIComponent(file.name)}`, { method: "POST", headers: { "Content-Type": file.mime || "application/octet-stream" }, body: file.blob, credentials: "same-origin" });
  } catch {
    throw { code: "network", message: "network unreachable" };
  }
  const body = (await res.json().catch(() => null)) as { media?: { id: string }; error?: { code: string; message: string } } | null;
  if (!res.ok || !body?.media) throw body?.error ?? { code: `http_${res.status}`, message: `HTTP ${res.status}` };
  return body.media.id;
}

function transmit(d: Draft): void {
  if (d.state !== "sending" || !d.sendId || d.files.some((f) => !f.media)) return;
  const cc = addresses(d.cc);
  sendFrame({
    t: "send",
    id: d.sendId,
    to: { email: d.to.trim(), ...(d.from !== OWN ? { account: d.from } : {}) },
    body: {
      type: "email",
      subject: d.subject,
      text: d.text,
      ...(d.files.length ? { attachments: d.files.map((f) => f.media!) } : {}),
      ...(cc.length ? { cc } : {}),
      ...(d.inReplyTo ? { inReplyTo: d.inReplyTo } : {}),
    },
  });
}

async function settleQueued(id: string, msgId: string): Promise<void> {
  const mail = await openMail(msgId).catch(() => undefined);
  if (mail?.state === "sent") await discardDraft(id);
  else if (mail?.state === "failed") update(id, { state: "failed", sendId: undefined, msgId: undefined, error: mail.error ?? { code: "mail_refused", message: "" } });
}

/** Errors a later try can cure: the draft waits for the next connection instead of failing. */
const TRANSIENT = new Set(["internal", "rate_limited"]);

/**
 * Sees every frame from the hub (state/sync.ts): mail and read events, and the answers to
 * a draft's send. Safe to see a frame twice (a replay): everything here is by id.
 */
export function observeMailFrame(frame: ServerFrame): void {
  if (frame.t === "ready") {
    void restoreMail().then(() => {
      // Drafts that were on their way when the socket (or the page) went: the same client id again.
      for (const d of drafts.value) if (d.state === "sending") void sendDraft(d.id);
      // Accepted ones whose outcome may have come while this page was not listening: ask.
      for (const d of drafts.value) if (d.state === "queued" && d.msgId) void settleQueued(d.id, d.msgId);
      return loadMail(ALL);
    }).catch(() => undefined);
    return;
  }
  if (frame.t === "accepted") {
    const d = drafts.value.find((x) => x.sendId === frame.id);
    if (d && d.state === "sending") update(d.id, { state: "queued", msgId: frame.msgId });
    return;
  }
  if (frame.t === "error") {
    const d = frame.id ? drafts.value.find((x) => x.sendId === frame.id) : undefined;
    if (!d || TRANSIENT.has(frame.code)) return;
    update(d.id, { state: "failed", sendId: undefined, error: { code: frame.code, message: frame.message } });
    return;
  }
  if (frame.t === "ev") onEvent(frame.ev);
}

function onEvent(ev: HubEvent): void {
  if (ev.type === "mail") return added(ev.mail);
  if (ev.type === "mail.read") return patch(ev.id, { read: ev.read });
  if (ev.type !== "status") return;
  const d = drafts.value.find((x) => x.msgId && ev.msgIds.includes(x.msgId));
  for (const id of ev.msgIds) if (ev.state === "sent" || ev.state === "failed") patch(id, { state: ev.state });
  if (!d) return;
  if (ev.state === "sent") void discardDraft(d.id);
  // The hub's ledger has finished that client id: trying again is a new send, with a new one.
  else if (ev.state === "failed") update(d.id, { state: "failed", sendId: undefined, msgId: undefined, error: { code: ev.code ?? "mail_refused", message: ev.reason ?? "" } });
}

/** For tests and sign-out. */
export function resetMailState(): void {
  restoring = undefined;
  mailLists.value = {};
  openedMails.value = {};
  drafts.value = [];
  mailbox.value = ALL;
}
