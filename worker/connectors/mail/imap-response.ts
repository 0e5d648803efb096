// IMAP server responses (RFC 9051 §7, formal syntax §9; the same in RFC 3501): reading
// one from the wire, literals included, and parsing it into values.
//
// A response is a line that may end in a literal announcement "{n}": then n bytes follow,
// and after them the line goes on (and may announce another). So a response is read as
// text pieces and the literals between them, and the parser steps from one to the next.
import type { Wire } from "./wire";

/** A parsed value: an atom, number or string (text), NIL (null), a literal (bytes), a list. */
export type Value = string | null | Uint8Array | Value[];

export type Status = "OK" | "NO" | "BAD" | "BYE" | "PREAUTH";
/** A response code, "[UIDVALIDITY 3857529045]" → { name: "UIDVALIDITY", text: "3857529045" }. */
export type Code = { name: string; text: string };

export type Response =
  | { kind: "continue"; text: string }
  | { kind: "tagged"; tag: string; status: Status; code?: Code; text: string }
  | { kind: "status"; status: Status; code?: Code; text: string }
  /** "* 23 EXISTS" → { name: "EXISTS", number: 23 }; "* 3 FETCH (...)" also carries values. */
  | { kind: "data"; name: string; number?: number; values: Value[] };

/** Largest literal taken; bigger messages are fetched by headers only (see mailbox.ts). */
export const MAX_LITERAL = 48 * 1024 * 1024;
const decoder = new TextDecoder();

type Raw = { pieces: string[]; literals: Uint8Array[] };

export async function readResponse(wire: Wire): Promise<Response> {
  const raw: Raw = { pieces: [], literals: [] };
  for (;;) {
    const line = decoder.decode(await wire.readLine());
    raw.pieces.push(line);
    const literal = /\{(\d+)\+?\}$/.exec(line);
    if (!literal) break;
    const size = Number(literal[1]);
    if (size > MAX_LITERAL) throw new Error(`${wire.label} announced a literal of ${size} bytes`);
    raw.literals.push(await wire.readBytes(size));
  }
  return parseResponse(raw);
}

export function parseResponse(raw: Raw): Response {
  const first = raw.pieces[0]!;
  if (first.startsWith("+")) return { kind: "continue", text: first.slice(2) };
  const space = first.indexOf(" ");
  const tag = space < 0 ? first : first.slice(0, space);
  const rest = space < 0 ? "" : first.slice(space + 1);
  const statusMatch = /^(OK|NO|BAD|BYE|PREAUTH)\b ?/i.exec(rest);
  if (tag !== "*") {
    const { code, text } = statusText(rest.slice(statusMatch?.[0].length ?? 0));
    return { kind: "tagged", tag, status: (statusMatch?.[1]?.toUpperCase() ?? "BAD") as Status, code, text };
  }
  if (statusMatch) return { kind: "status", status: statusMatch[1]!.toUpperCase() as Status, ...statusText(rest.slice(statusMatch[0].length)) };
  const numbered = /^(\d+) ([A-Za-z]+) ?/.exec(rest);
  const head = numbered ?? /^([A-Za-z]+) ?/.exec(rest);
  if (!head) return { kind: "data", name: "", values: [] };
  const cursor = new Cursor({ pieces: [rest.slice(head[0].length), ...raw.pieces.slice(1)], literals: raw.literals });
  const name = (numbered ? numbered[2]! : head[1]!).toUpperCase();
  return { kind: "data", name, ...(numbered ? { number: Number(numbered[1]) } : {}), values: cursor.values() };
}

/** "[CODE args] human text" → the code and the text. */
function statusText(s: string): { code?: Code; text: string } {
  if (!s.startsWith("[")) return { text: s };
  const end = s.indexOf("]");
  if (end < 0) return { text: s };
  const inner = s.slice(1, end);
  const space = inner.indexOf(" ");
  const code = { name: (space < 0 ? inner : inner.slice(0, space)).toUpperCase(), text: space < 0 ? "" : inner.slice(space + 1) };
  return { code, text: s.slice(end + 1).trimStart() };
}

/** Steps through the pieces of a response, taking a literal where a piece announces one. */
class Cursor {
  private piece = 0;
  private at = 0;
  constructor(private raw: Raw) {}

  private get text() {
    return this.raw.pieces[this.piece] ?? "";
  }

  values(): Value[] {
    const out: Value[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.text[this.at];
      if (c === undefined || c === ")") return out;
      out.push(this.value());
    }
  }

  private skipSpaces() {
    while (this.text[this.at] === " ") this.at++;
  }

  private value(): Value {
    const c = this.text[this.at];
    if (c === "(") {
      this.at++;
      const list = this.values();
      if (this.text[this.at] === ")") this.at++;
      return list;
    }
    if (c === '"') return this.quoted();
    if (c === "{" && /^\{\d+\+?\}$/.test(this.text.slice(this.at))) {
      const bytes = this.raw.literals[this.piece]!;
      this.piece++;
      this.at = 0;
      return bytes;
    }
    return this.atom();
  }

  private quoted(): string {
    let out = "";
    for (this.at++; this.at < this.text.length; this.at++) {
      const c = this.text[this.at]!;
      if (c === '"') {
        this.at++;
        return out;
      }
      if (c === "\\") this.at++;
      out += this.text[this.at] ?? "";
    }
    return out;
  }

  /** An atom, with any [section] in it whole: BODY[HEADER.FIELDS (MESSAGE-ID)]<0> is one. */
  private atom(): Value {
    const start = this.at;
    let depth = 0;
    for (; this.at < this.text.length; this.at++) {
      const c = this.text[this.at]!;
      if (c === "[") depth++;
      else if (c === "]") depth = Math.max(0, depth - 1);
      else if (depth === 0 && (c === " " || c === "(" || c === ")")) break;
    }
    const atom = this.text.slice(start, this.at);
    if (this.at === start) this.at++; // a stray character: step over it rather than loop
    return atom.toUpperCase() === "NIL" ? null : atom;
  }
}
