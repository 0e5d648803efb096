// IRC lines (RFC 1459 §2.3.1 as modern servers speak it, with IRCv3 message tags):
// `[@tags] [:prefix] COMMAND params [:trailing]`, at most 512 bytes with CR LF, tags aside.

export type Line = { tags: Record<string, string>; prefix: string; command: string; params: string[] };

/** The 512 bytes of RFC 1459 §2.3, CR LF included. */
export const LINE_BYTES = 512;

export function parseLine(text: string): Line | null {
  let rest = text.replace(/[\r\n]+$/, "");
  const tags: Record<string, string> = {};
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    for (const tag of rest.slice(1, space).split(";")) {
      if (!tag) continue;
      const eq = tag.indexOf("=");
      tags[eq < 0 ? tag : tag.slice(0, eq)] = eq < 0 ? "" : unescapeTag(tag.slice(eq + 1));
    }
    rest = rest.slice(space + 1).trimStart();
  }
  let prefix = "";
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1).trimStart();
  }
  let trailing: string | undefined;
  const colon = rest.indexOf(" :");
  if (colon >= 0) {
    trailing = rest.slice(colon + 2);
    rest = rest.slice(0, colon);
  }
  const words = rest.split(" ").filter(Boolean);
  const [command, ...params] = words;
  if (!command) return null;
  return { tags, prefix, command: command.toUpperCase(), params: trailing === undefined ? params : [...params, trailing] };
}

/** IRCv3 message-tags: `\:` `\s` `\\` `\r` `\n` in values. */
function unescapeTag(v: string): string {
  return v.replace(/\\(.?)/g, (_, c: string) => ({ ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" })[c] ?? c);
}

/** A line to send: the last parameter becomes trailing when it must (empty, a space, a leading colon). */
export function formatLine(command: string, ...params: string[]): string {
  for (const p of params) if (/[\r\n\0]/.test(p)) throw new Error("an IRC parameter cannot hold CR, LF or NUL");
  const last = params.at(-1);
  const middle = params.slice(0, -1);
  for (const p of middle) if (!p || p.includes(" ") || p.startsWith(":")) throw new Error(`bad middle parameter ${JSON.stringify(p)}`);
  if (last === undefined) return command;
  const tail = last === "" || last.includes(" ") || last.startsWith(":") ? `:${last}` : last;
  return [command, ...middle, tail].join(" ");
}

export const nickOf = (prefix: string): string => prefix.split("!")[0]!;

const encoder = new TextEncoder();
export const byteLength = (s: string): number => encoder.encode(s).length;

/**
 * Cuts text into pieces of at most `maxBytes` UTF-8 bytes, never inside a character, at a
 * space near the end where there is one; each line of the text on its own (IRC has no newlines).
 */
export function splitText(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    let rest = line;
    while (byteLength(rest) > maxBytes) {
      let cut = 0;
      let bytes = 0;
      for (const ch of rest) {
        const n = byteLength(ch);
        if (bytes + n > maxBytes) break;
        bytes += n;
        cut += ch.length;
      }
      const space = rest.lastIndexOf(" ", cut);
      if (space > cut * 0.6) cut = space + 1;
      out.push(rest.slice(0, cut).trimEnd() || rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (rest.trim()) out.push(rest);
  }
  return out;
}

/** mIRC formatting (bold, colours, italics, …): kept out of the text the user reads. */
export function stripFormatting(s: string): string {
  return s.replace(/\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
}

/** Bytes of a line as text: UTF-8 where it is, else Latin-1 (older networks still send it). */
export function decodeLine(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
}
