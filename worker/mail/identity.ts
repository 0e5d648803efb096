// A mail's stable id and its one-line preview.
import { headerBlock } from "./raw";

/**
 * The id a mail keeps wherever and however often it is fetched: its Message-ID (with <>),
 * which the sender set and a mailbox rebuild (a new IMAP UIDVALIDITY) does not change; for
 * the rare mail without one, "h:" and a SHA-256 of its header block, which is as stable,
 * since the same stored message has the same headers. The hub dedupes on it, and a mail we
 * sent comes back (cc to ourselves) with the Message-ID `send` returned.
 */
export async function mailId(raw: Uint8Array, messageId: string | undefined): Promise<string> {
  if (messageId) return messageId;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", headerBlock(raw).slice()));
  return `h:${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Characters of preview the hub's `mail` event carries. */
export const SNIPPET_CHARS = 160;

/**
 * The preview line of a mail: its text without quoted replies ("> ..."), the "On ... wrote:"
 * line before them and the signature, white space collapsed, at most `max` characters.
 */
export function snippet(text: string, max = SNIPPET_CHARS): string {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "-- ") break; // the signature separator (RFC 3676 §4.3)
    if (/^\s*>/.test(line)) continue;
    lines.push(line);
  }
  const flat = lines.join(" ").replace(/\bOn .{4,120} wrote:\s*$/, "").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}
