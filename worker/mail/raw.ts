// Reading a raw message's bytes directly, for what a MIME parser's decoded strings lose:
// the header block (hashed for an id when there is no Message-ID), the body after it, and
// header values written in 8-bit by mailers that ignore RFC 2047.
import { decodeWords } from "postal-mime";

/** Where the header block ends and the body starts, or null when the message has no blank line. */
export function bodyStart(raw: Uint8Array): { headerEnd: number; bodyStart: number } | null {
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] !== 10) continue;
    if (raw[i + 1] === 10) return { headerEnd: i, bodyStart: i + 2 };
    if (raw[i + 1] === 13 && raw[i + 2] === 10) return { headerEnd: i, bodyStart: i + 3 };
  }
  return null;
}

export function headerBlock(raw: Uint8Array): Uint8Array {
  const at = bodyStart(raw);
  return at ? raw.subarray(0, at.headerEnd) : raw;
}

export function bodyOf(raw: Uint8Array): Uint8Array {
  const at = bodyStart(raw);
  return at ? raw.subarray(at.bodyStart) : new Uint8Array(0);
}

/** Bytes as text without ever failing: UTF-8 where it is valid, windows-1252 where it is not. */
export function lossyText(bytes: Uint8Array, charset?: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeWith(charset, bytes);
  }
}

function decodeWith(charset: string | undefined, bytes: Uint8Array): string {
  for (const label of [charset, "windows-1252"]) {
    if (!label || /^(utf-?8|us-ascii)$/i.test(label)) continue;
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {}
  }
  return Array.from(bytes, (b) => String.fromCharCode(b)).join(""); // ISO-8859-1, byte for byte
}

/** The unfolded raw values of one top-level header, as bytes (names are case-insensitive). */
export function rawHeader(raw: Uint8Array, name: string): Uint8Array[] {
  const block = headerBlock(raw);
  const found: Uint8Array[] = [];
  const target = name.toLowerCase();
  let start = 0;
  for (let i = 0; i <= block.length; i++) {
    const atEnd = i === block.length;
    // A line break followed by a space or tab continues the header (folding).
    if (!atEnd && !(block[i] === 10 && block[i + 1] !== 32 && block[i + 1] !== 9)) continue;
    const line = block.subarray(start, i);
    start = i + 1;
    const colon = line.indexOf(58);
    if (colon <= 0) continue;
    const key = String.fromCharCode(...line.subarray(0, colon)).trim().toLowerCase();
    if (key !== target) continue;
    found.push(line.subarray(colon + 1).filter((b) => b !== 13 && b !== 10));
  }
  return found;
}

const hasEightBit = (bytes: Uint8Array) => bytes.some((b) => b >= 0x80);

/**
 * A header's value decoded again from its raw bytes when they are 8-bit and not UTF-8 (an
 * old mailer writing ISO-8859-1 into Subject): decoded in the message's charset, then
 * any encoded words in it as usual. Null when the parser's reading can stand.
 */
export function eightBitHeader(raw: Uint8Array, name: string, charset?: string): string | null {
  const value = rawHeader(raw, name)[0];
  if (!value || !hasEightBit(value)) return null;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(value);
    return null;
  } catch {
    return decodeWords(lossyText(value, charset).trim());
  }
}

/** The charset parameter of the top-level Content-Type, if any. */
export function topCharset(contentType: string | undefined): string | undefined {
  return /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1];
}
