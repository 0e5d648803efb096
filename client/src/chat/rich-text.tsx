// A message's text: the quote a reply starts with, and web links made tappable. Only
// http(s) links become anchors — a `javascript:` or `data:` "link" stays plain text — and
// they open in a new tab without handing it this page (noopener, noreferrer).
import type { ComponentChildren } from "preact";
import { splitQuote } from "../ui/quote";

const URLISH = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
/** Sentence punctuation right after a link is not part of it. */
const TRAILING = /[.,;:!?'’”)\]}>]+$/;

/** The http(s) URL a piece of text names, or null when it is anything else. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(/^www\./i.test(raw) ? `https://${raw}` : raw);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function linkify(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(URLISH)) {
    let raw = m[0];
    // Keep a closing bracket that closes one opened inside the link (Wikipedia's "Foo_(bar)").
    const cut = raw.match(TRAILING)?.[0] ?? "";
    if (cut) raw = raw.slice(0, raw.length - cut.length);
    if (cut.startsWith(")") && (raw.match(/\(/g)?.length ?? 0) > (raw.match(/\)/g)?.length ?? 0)) raw += ")";
    const href = safeHref(raw);
    if (!href) continue;
    const at = m.index!;
    if (at > last) out.push(text.slice(last, at));
    out.push(<a href={href} target="_blank" rel="noopener noreferrer nofollow" class="msg-link">{raw}</a>);
    last = at + raw.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function RichText({ text }: { text: string }) {
  const { quote, rest } = splitQuote(text);
  return (
    <>
      {quote && <blockquote class="quote">{quote}</blockquote>}
      {rest && <p class="text">{linkify(rest)}</p>}
    </>
  );
}
