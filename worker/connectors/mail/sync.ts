// What is new in the mailbox since the cursor, as batches of mail events. Shared by the live
// session (IDLE) and poll.
//
// The cursor is "v<UIDVALIDITY>:<last UID seen>". UIDs only mean something together with
// their UIDVALIDITY (RFC 3501 §2.3.1.1), so there are three cases:
// - follow: same UIDVALIDITY. Everything with a higher UID, in UID order; each batch moves
//   the cursor to its last UID.
// - fresh: no cursor (first connect). The newest FIRST_IMPORT.max mails of the last
//   FIRST_IMPORT.days days, not the whole mailbox; the cursor then covers the mailbox.
// - resync: UIDVALIDITY changed (the mailbox was rebuilt; every UID may now name another
//   mail). The old UIDs say nothing, so the mails since the newest one we imported (less a
//   day: SEARCH SINCE works in whole days, in the server's zone) are looked at by header,
//   and the ones whose id (their Message-ID, which the rebuild does not change) we already
//   emitted are skipped. That is why the seen log exists: ids of the last SEEN_MAX mails
//   emitted, kept in the link's store once the hub has them (without it, resync is a fresh
//   import). The hub's dedupe on remoteId, the same id, is the second net. Re-reading by
//   date, not the whole mailbox, bounds the work.
// In fresh and resync the cursor moves only at the end: the UIDs imported are not in
// order with the ones skipped, so a cursor between them would import or skip wrongly.
import { mailId } from "../../mail/identity";
import { parseMail } from "../../mail/parse";
import type { LinkIO, RemoteEvent } from "../types";
import { type FetchedMail, headersOnly, toRemoteMail } from "./convert";
import type { ImapClient } from "./imap-client";
import { type Fetched, type Selected, searchDate, uidFetch, uidSearch } from "./imap-mailbox";

export type Cursor = { validity: number; uid: number };

export const FIRST_IMPORT = { days: 7, max: 50 };
/** Mail bigger than this is shown by its headers only: the Durable Object's memory is 128 MB. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
const RESYNC_MAX = 500;
const SEEN_MAX = 1000;
const BATCH_MAX = 20;
const BATCH_BYTES = 8 * 1024 * 1024;
const DAY = 86_400_000;

export const formatCursor = (c: Cursor) => `v${c.validity}:${c.uid}`;

/** The cursor, or null for none or one this connector did not write (treated as a first connect). */
export function parseCursor(s: string | null): Cursor | null {
  const m = /^v(\d+):(\d+)$/.exec(s ?? "");
  return m ? { validity: Number(m[1]), uid: Number(m[2]) } : null;
}

/** The ids of mail already emitted, and the arrival time of the newest (for resync). */
export type Seen = { ids: string[]; newestAt?: number };

export function seenOf(io: Pick<LinkIO, "store">): Seen {
  return io.store.get<Seen>("mail.seen") ?? { ids: [] };
}

/** Adds mail the hub now has to the seen log (call only after it is stored). */
export function remember(io: Pick<LinkIO, "store">, mails: { id: string; at: number }[]): void {
  if (!mails.length) return;
  const seen = seenOf(io);
  const ids = [...seen.ids.filter((id) => !mails.some((m) => m.id === id)), ...mails.map((m) => m.id)].slice(-SEEN_MAX);
  const newestAt = Math.max(seen.newestAt ?? 0, ...mails.map((m) => m.at));
  io.store.put("mail.seen", { ids, newestAt });
}

export type Batch = {
  events: RemoteEvent[];
  /** Set when the cursor may move to it now (always on the last batch). */
  cursor?: string;
  /** For the seen log: each mail's id and arrival time. */
  mails: { id: string; at: number }[];
  /** On the last batch: `limit` cut the plan short and more mail waits. */
  more?: boolean;
};

type Plan = { uids: number[]; mode: "follow" | "fresh" | "resync"; end: Cursor; more: boolean };

/** New mail since `cursor`, in batches. `limit` caps how many mails (a poll's share). */
export async function* newMail(client: ImapClient, io: Pick<LinkIO, "media" | "log" | "store">, box: Selected, cursor: Cursor | null, limit = Infinity): AsyncGenerator<Batch> {
  const plan = await planFor(client, io, box, cursor, limit);
  if (plan.mode !== "follow") io.log("mail.sync", { mode: plan.mode, mails: plan.uids.length, uidValidity: box.uidValidity });
  const batches = await batchesOf(client, plan.uids);
  for (const [i, uids] of batches.entries()) {
    const mails = await fetchMails(client, io, uids);
    const last = i === batches.length - 1;
    const cursor = last ? plan.end : plan.mode === "follow" ? { validity: box.uidValidity, uid: uids.at(-1)!.uid } : undefined;
    yield {
      events: mails.map((m) => ({ type: "mail", mail: m.mail })),
      cursor: cursor && formatCursor(cursor),
      mails: mails.map((m) => ({ id: m.mail.remoteId, at: m.arrived })),
      ...(last ? { more: plan.more } : {}),
    };
  }
  if (!batches.length && (!cursor || formatCursor(cursor) !== formatCursor(plan.end))) yield { events: [], cursor: formatCursor(plan.end), mails: [] };
}

async function planFor(client: ImapClient, io: Pick<LinkIO, "store">, box: Selected, cursor: Cursor | null, limit: number): Promise<Plan> {
  if (cursor && cursor.validity === box.uidValidity) {
    if (box.uidNext !== undefined && box.uidNext <= cursor.uid + 1) return { uids: [], mode: "follow", end: cursor, more: false };
    const all = (await uidSearch(client, `UID ${cursor.uid + 1}:*`)).filter((u) => u > cursor.uid);
    const uids = all.slice(0, limit);
    return { uids, mode: "follow", end: { validity: box.uidValidity, uid: uids.at(-1) ?? cursor.uid }, more: all.length > uids.length };
  }
  const top = await topUid(client, box);
  const end = { validity: box.uidValidity, uid: top };
  const log = seenOf(io);
  const seen = new Set(log.ids);
  // No seen log to tell old from new (a first connect, or a lost store): a first import.
  if (!cursor || !seen.size) {
    const recent = (await uidSearch(client, `SINCE ${searchDate(Date.now() - FIRST_IMPORT.days * DAY)}`)).slice(-FIRST_IMPORT.max);
    return { uids: await unseen(client, recent, seen), mode: "fresh", end, more: false };
  }
  const since = (log.newestAt ?? Date.now() - FIRST_IMPORT.days * DAY) - DAY;
  const candidates = (await uidSearch(client, `SINCE ${searchDate(since)}`)).slice(-RESYNC_MAX);
  return { uids: await unseen(client, candidates, seen), mode: "resync", end, more: false };
}

/** The highest UID in the mailbox now: UIDNEXT - 1 where the server says it, else by SEARCH. */
async function topUid(client: ImapClient, box: Selected): Promise<number> {
  if (box.uidNext !== undefined) return box.uidNext - 1;
  return (await uidSearch(client, "ALL")).at(-1) ?? 0;
}

/** The UIDs whose mail (by id, read from the headers) is not in the seen log. */
async function unseen(client: ImapClient, uids: number[], seen: Set<string>): Promise<number[]> {
  if (!seen.size || !uids.length) return uids;
  const out: number[] = [];
  for (const h of await uidFetch(client, uids, "UID BODY.PEEK[HEADER]")) {
    // The same id toRemoteMail gives the whole message: the header block is the same bytes.
    if (h.header && !seen.has(await mailId(h.header, (await parseMail(h.header)).messageId))) out.push(h.uid);
  }
  return out;
}

/** The UIDs with their sizes, cut into batches of at most BATCH_MAX mails or BATCH_BYTES. */
async function batchesOf(client: ImapClient, uids: number[]): Promise<Fetched[][]> {
  const sized = await uidFetch(client, uids, "UID RFC822.SIZE INTERNALDATE");
  const batches: Fetched[][] = [];
  let bytes = 0;
  for (const f of sized) {
    const size = Math.min(f.size ?? 0, MAX_MESSAGE_BYTES);
    const current = batches.at(-1);
    if (!current || current.length >= BATCH_MAX || bytes + size > BATCH_BYTES) {
      batches.push([f]);
      bytes = size;
    } else {
      current.push(f);
      bytes += size;
    }
  }
  return batches;
}

async function fetchMails(client: ImapClient, io: Pick<LinkIO, "media" | "log">, batch: Fetched[]): Promise<{ mail: FetchedMail; arrived: number }[]> {
  const small = batch.filter((f) => (f.size ?? 0) <= MAX_MESSAGE_BYTES).map((f) => f.uid);
  const large = batch.filter((f) => (f.size ?? 0) > MAX_MESSAGE_BYTES).map((f) => f.uid);
  const bodies = new Map((await uidFetch(client, small, "UID BODY.PEEK[]")).map((f) => [f.uid, f]));
  const heads = new Map((await uidFetch(client, large, "UID BODY.PEEK[HEADER]")).map((f) => [f.uid, f]));
  const out: { mail: FetchedMail; arrived: number }[] = [];
  for (const f of batch) {
    const arrived = f.internalDate ?? Date.now();
    const body = bodies.get(f.uid)?.body;
    const head = heads.get(f.uid)?.header;
    // Neither: expunged since the SEARCH. Nothing to show, and nothing lost.
    if (body) out.push({ mail: await toRemoteMail(io, body, arrived), arrived });
    else if (head) out.push({ mail: await headersOnly(io, head, f.size ?? 0, arrived), arrived });
  }
  return out;
}
