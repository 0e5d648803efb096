// The IMAP commands the mail connector uses on a mailbox, with their answers parsed:
// SELECT (RFC 3501 §6.3.1), UID SEARCH (§6.4.4, §6.4.8) and UID FETCH (§6.4.5, §7.4.2).
import { type ImapClient, astring } from "./imap-client";
import type { Response, Value } from "./imap-response";

export type Selected = { mailbox: string; uidValidity: number; uidNext?: number; exists: number };

export async function select(client: ImapClient, mailbox = "INBOX"): Promise<Selected> {
  const { untagged } = await client.command("SELECT ", astring(mailbox));
  const code = (name: string) => {
    const r = untagged.find((u) => u.kind === "status" && u.code?.name === name);
    return r?.kind === "status" ? Number(r.code!.text.split(" ")[0]) : undefined;
  };
  const exists = untagged.find((u) => u.kind === "data" && u.name === "EXISTS");
  const uidValidity = code("UIDVALIDITY");
  // Without UIDVALIDITY no UID can be trusted across sessions (RFC 3501 §2.3.1.1).
  if (!uidValidity) throw new Error(`${client.host} gave no UIDVALIDITY for ${mailbox}`);
  return { mailbox, uidValidity, uidNext: code("UIDNEXT"), exists: exists?.kind === "data" ? exists.number ?? 0 : 0 };
}

/** UIDs matching `criteria` (e.g. "UID 5:*", "SINCE 1-Feb-2026"), in ascending order. */
export async function uidSearch(client: ImapClient, criteria: string): Promise<number[]> {
  const { untagged } = await client.command(`UID SEARCH ${criteria}`);
  const found = untagged.flatMap((r) => (r.kind === "data" && r.name === "SEARCH" ? r.values : []));
  return [...new Set(found.map(Number).filter((n) => Number.isInteger(n) && n > 0))].sort((a, b) => a - b);
}

export type Fetched = { uid: number; size?: number; internalDate?: number; body?: Uint8Array; header?: Uint8Array };

/**
 * UID FETCH of `items` for `uids`. A server may answer one message in several FETCH
 * responses, and send FETCHes nobody asked for (flag changes): they are merged by UID and
 * the ones without a UID are dropped. A UID with no answer was expunged meanwhile.
 */
export async function uidFetch(client: ImapClient, uids: number[], items: string): Promise<Fetched[]> {
  if (!uids.length) return [];
  const { untagged } = await client.command(`UID FETCH ${uidSet(uids)} (${items})`);
  const bySeq = new Map<number, Map<string, Value>>();
  for (const r of untagged) {
    if (r.kind !== "data" || r.name !== "FETCH" || r.number === undefined) continue;
    const fields = bySeq.get(r.number) ?? new Map<string, Value>();
    const list = Array.isArray(r.values[0]) ? r.values[0] : [];
    for (let i = 0; i + 1 < list.length; i += 2) if (typeof list[i] === "string") fields.set((list[i] as string).toUpperCase(), list[i + 1]!);
    bySeq.set(r.number, fields);
  }
  const wanted = new Set(uids);
  const out = new Map<number, Fetched>();
  for (const fields of bySeq.values()) {
    const uid = Number(fields.get("UID"));
    if (!wanted.has(uid)) continue;
    out.set(uid, { ...out.get(uid), ...fetched(uid, fields) });
  }
  return [...out.values()].sort((a, b) => a.uid - b.uid);
}

function fetched(uid: number, f: Map<string, Value>): Fetched {
  const out: Fetched = { uid };
  const size = f.get("RFC822.SIZE");
  if (typeof size === "string") out.size = Number(size);
  const date = f.get("INTERNALDATE");
  if (typeof date === "string") out.internalDate = internalDate(date);
  const body = f.get("BODY[]");
  if (body instanceof Uint8Array) out.body = body;
  else if (typeof body === "string") out.body = new TextEncoder().encode(body);
  const header = f.get("BODY[HEADER]");
  if (header instanceof Uint8Array) out.header = header;
  return out;
}

/** "1:3,7,9:10" from [1,2,3,7,9,10] (sorted or not): short commands for long runs. */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(",");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A SEARCH date, "1-Feb-2026" (RFC 3501 §9 date): the day in UTC. */
export function searchDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

/** INTERNALDATE, "17-Jul-1996 02:44:25 -0700" (the day may be space-padded), as ms. */
export function internalDate(s: string): number | undefined {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(s);
  const month = m ? MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) return undefined;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === "-" ? -1 : 1);
  return utc - offset;
}

/** The "* n EXISTS" responses say the mailbox grew. */
export const isExists = (r: Response) => r.kind === "data" && r.name === "EXISTS";
