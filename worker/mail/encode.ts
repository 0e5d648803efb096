// The transfer encodings outgoing mail needs, on bytes and web APIs only (they run in
// workerd and in Node): base64 bodies (RFC 2045 §6.8), quoted-printable text (§6.7),
// encoded words for non-ASCII headers (RFC 2047) and RFC 2231 parameter values.
const utf8 = new TextEncoder();
const CRLF = "\r\n";

export function base64(bytes: Uint8Array): string {
  let out = "";
  // 3 KiB at a time: whole 3-byte groups, and short enough for String.fromCharCode's spread.
  for (let i = 0; i < bytes.length; i += 3072) out += btoa(String.fromCharCode(...bytes.subarray(i, i + 3072)));
  return out;
}

/** Base64 in lines of 76 characters, as RFC 2045 §6.8 requires of a body. */
export function base64Lines(bytes: Uint8Array): string {
  const flat = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 76) lines.push(flat.slice(i, i + 76));
  return lines.join(CRLF);
}

export const isAscii = (s: string) => /^[\x20-\x7e\t\r\n]*$/.test(s);

/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text: line breaks stay hard breaks (CRLF),
 * lines are cut with soft breaks ("=") before 76 characters, "=" and 8-bit bytes become =XX,
 * and a space or tab that ends a line is encoded so transports cannot strip it.
 */
export function quotedPrintable(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\n").split("\n").map(qpLine).join(CRLF);
}

function qpLine(line: string): string {
  const bytes = utf8.encode(line);
  const out: string[] = [];
  let current = "";
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    const plain = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
    const piece = plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
    if (current.length + piece.length > 75) {
      out.push(`${current}=`);
      current = "";
    }
    current += piece;
  });
  out.push(current);
  return out.join(CRLF);
}

/**
 * A header value as RFC 2047 encoded words ("=?UTF-8?B?...?=") when it is not plain
 * ASCII, each word at most 75 characters and never splitting a character (§5, §6.3),
 * joined by folding white space. Plain ASCII is returned as it is.
 */
export function encodedWords(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk: number[] = [];
  for (const ch of value) {
    const bytes = utf8.encode(ch);
    // 45 bytes are 60 base64 characters: with "=?UTF-8?B?" and "?=" a word of 72.
    if (chunk.length + bytes.length > 45) {
      words.push(word(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length) words.push(word(chunk));
  return words.join(`${CRLF} `);
}

const word = (bytes: number[]) => `=?UTF-8?B?${base64(Uint8Array.from(bytes))}?=`;

/**
 * Folds a structured or unstructured header line before 78 characters at the spaces it
 * has (RFC 5322 §2.2.3). A run without spaces longer than that stays whole: folding may
 * only happen at white space.
 */
export function fold(name: string, value: string): string {
  const out: string[] = [];
  let line = `${name}:`;
  for (const part of value.split(/(?<=\S) (?=\S)|\r\n /)) {
    if (line.length + 1 + part.length > 78 && line.length > name.length + 1) {
      out.push(line);
      line = "";
    }
    line += ` ${part}`;
  }
  out.push(line);
  return out.join(CRLF);
}

/** A MIME parameter ("; name=value"), as RFC 2231 extended values when not plain ASCII. */
export function parameter(name: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && value.length <= 60) return `${name}="${value.replace(/["\\]/g, "\\$&")}"`;
  const encoded = [...utf8.encode(value)].map((b) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
  // Continuations (§3) keep each line short; a cut must not fall inside a %XX escape.
  const pieces: string[] = [];
  for (let rest = encoded; rest; ) {
    let cut = Math.min(rest.length, 60);
    const escape = rest.lastIndexOf("%", cut - 1);
    if (escape > cut - 3 && escape >= 0 && cut < rest.length) cut = escape || cut;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (pieces.length === 1) return `${name}*=UTF-8''${pieces[0]}`;
  return pieces.map((p, i) => `${name}*${i}*=${i === 0 ? "UTF-8''" : ""}${p}`).join(`;${CRLF} `);
}
