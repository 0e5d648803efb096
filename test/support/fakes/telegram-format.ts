// parse_mode as the Bot API documents it ("Formatting options"): HTML, MarkdownV2 and the
// legacy Markdown turn markup into plain text plus entities (offsets and lengths in UTF-16
// code units), and malformed markup is refused with "can't parse entities: ...", the
// mistake bots make most (an unescaped '.' in MarkdownV2, an unclosed tag in HTML).
import type { MessageEntity } from "@grammyjs/types";
import { badRequest } from "./telegram-errors";

export type Parsed = { text: string; entities: MessageEntity[] };

const cantParse = (why: string) => badRequest(`can't parse entities: ${why}`);
const byteOffset = (source: string, index: number) => Buffer.byteLength(source.slice(0, index));

export function parseEntities(source: string, mode: string | undefined): Parsed {
  if (mode === undefined || mode === "") return { text: source, entities: [] };
  if (mode === "HTML") return parseHtml(source);
  if (mode === "MarkdownV2") return parseMarkdownV2(source);
  if (mode === "Markdown") return parseMarkdown(source);
  throw badRequest("unsupported parse_mode");
}

// ---- HTML ------------------------------------------------------------------------------

const HTML_TAGS: Record<string, MessageEntity["type"]> = {
  b: "bold", strong: "bold", i: "italic", em: "italic", u: "underline", ins: "underline",
  s: "strikethrough", strike: "strikethrough", del: "strikethrough", "tg-spoiler": "spoiler",
  code: "code", pre: "pre", blockquote: "blockquote", a: "text_link", span: "spoiler", "tg-emoji": "custom_emoji", "tg-time": "date_time",
};
const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"' } as Record<string, string>;

type Open = { name: string; start: number; at: number; attrs: Record<string, string> };

function parseHtml(source: string): Parsed {
  let text = "";
  const stack: Open[] = [];
  const entities: MessageEntity[] = [];
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === "&") {
      const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(source.slice(i));
      const decoded = m && decodeEntity(m[1]!);
      text += decoded ?? "&";
      i += decoded === undefined ? 1 : m![0].length;
      continue;
    }
    if (c !== "<") {
      text += c;
      i++;
      continue;
    }
    const close = source.indexOf(">", i);
    if (close < 0) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(source, i)}`);
    const tag = source.slice(i + 1, close);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (!open) throw cantParse(`Unexpected end tag at byte offset ${byteOffset(source, i)}`);
      if (open.name !== name) throw cantParse(`Unmatched end tag at byte offset ${byteOffset(source, i)}, expected "</${open.name}>", found "</${name}>"`);
      const entity = htmlEntity(open, text.length, stack);
      if (entity && entity.length > 0) entities.push(entity);
    } else {
      stack.push(openTag(source, tag, i, text.length));
    }
    i = close + 1;
  }
  const unclosed = stack.pop();
  if (unclosed) throw cantParse(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  return { text, entities: sortEntities(entities) };
}

function decodeEntity(name: string): string | undefined {
  if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(parseInt(name.slice(2), 16));
  if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
  return NAMED[name.toLowerCase()];
}

function openTag(source: string, tag: string, at: number, start: number): Open {
  const m = /^([a-z][a-z0-9-]*)\s*(.*?)\s*\/?$/is.exec(tag);
  const name = m?.[1]?.toLowerCase() ?? "";
  if (!(name in HTML_TAGS)) throw cantParse(`Unsupported start tag "${name || tag}" at byte offset ${byteOffset(source, at)}`);
  const attrs: Record<string, string> = {};
  for (const a of (m![2] ?? "").matchAll(/([a-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?/gi)) attrs[a[1]!.toLowerCase()] = a[2] ?? a[3] ?? a[4] ?? "";
  if (name === "span" && attrs.class !== "tg-spoiler") throw cantParse(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(source, at)}`);
  return { name, start, at, attrs };
}

function htmlEntity(open: Open, end: number, stack: Open[]): MessageEntity | undefined {
  const base = { offset: open.start, length: end - open.start };
  const type = HTML_TAGS[open.name]!;
  if (open.name === "a") {
    const href = open.attrs.href ?? "";
    return href ? { ...base, type: "text_link", url: href } : undefined;
  }
  // <pre><code class="language-x"> is one pre entity with a language.
  if (open.name === "code" && stack.at(-1)?.name === "pre") {
    const language = /^language-(.+)$/.exec(open.attrs.class ?? "")?.[1];
    if (language) stack.at(-1)!.attrs.language = language;
    return undefined;
  }
  if (open.name === "pre") return open.attrs.language ? { ...base, type: "pre", language: open.attrs.language } : { ...base, type: "pre" };
  if (open.name === "blockquote") return { ...base, type: "expandable" in open.attrs ? "expandable_blockquote" : "blockquote" };
  if (open.name === "tg-emoji") return { ...base, type: "custom_emoji", custom_emoji_id: open.attrs["emoji-id"] ?? "" };
  if (open.name === "tg-time") return { ...base, type: "date_time", unix_time: Number(open.attrs.unix ?? 0), date_time_format: (open.attrs.format ?? "r") as "r" };
  return { ...base, type } as MessageEntity;
}

// ---- MarkdownV2 ------------------------------------------------------------------------

const RESERVED = new Set("_*[]()~`>#+-=|{}.!".split(""));
const MDV2_MARKERS: [string, MessageEntity["type"]][] = [["||", "spoiler"], ["__", "underline"], ["*", "bold"], ["_", "italic"], ["~", "strikethrough"]];

function parseMarkdownV2(source: string): Parsed {
  let text = "";
  const entities: MessageEntity[] = [];
  const open: { type: MessageEntity["type"]; start: number; at: number }[] = [];
  let link: { start: number; at: number } | undefined;
  let quote: { start: number } | undefined;
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next !== undefined && next.charCodeAt(0) >= 1 && next.charCodeAt(0) <= 126) {
        text += next;
        i += 2;
        continue;
      }
      throw cantParse(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
    }
    if (c === "`") {
      const fence = source.startsWith("```", i);
      const { body, end, language } = codeSpan(source, i, fence);
      entities.push(fence ? { type: "pre", offset: text.length, length: body.length, ...(language ? { language } : {}) } : { type: "code", offset: text.length, length: body.length });
      text += body;
      i = end;
      continue;
    }
    const marker = MDV2_MARKERS.find(([m]) => source.startsWith(m, i));
    if (marker) {
      const [m, type] = marker;
      const top = open.findLastIndex((o) => o.type === type);
      if (top >= 0) {
        const [o] = open.splice(top, 1);
        if (text.length > o!.start) entities.push({ type, offset: o!.start, length: text.length - o!.start } as MessageEntity);
      } else {
        open.push({ type, start: text.length, at: i });
      }
      i += m.length;
      continue;
    }
    // ">" at the start of a line quotes it; consecutive quoted lines form one blockquote.
    if (c === ">" && (i === 0 || source[i - 1] === "\n")) {
      quote ??= { start: text.length };
      i++;
      continue;
    }
    if (c === "\n" && quote && source[i + 1] !== ">") {
      entities.push({ type: "blockquote", offset: quote.start, length: text.length - quote.start });
      quote = undefined;
    }
    if (c === "[" && !link) {
      link = { start: text.length, at: i };
      i++;
      continue;
    }
    if (c === "]" && link && source[i + 1] === "(") {
      const { url, end } = linkTarget(source, i + 2);
      if (text.length > link.start) entities.push({ type: "text_link", offset: link.start, length: text.length - link.start, url });
      link = undefined;
      i = end;
      continue;
    }
    if (RESERVED.has(c)) throw cantParse(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    text += c;
    i++;
  }
  if (quote && text.length > quote.start) entities.push({ type: "blockquote", offset: quote.start, length: text.length - quote.start });
  const dangling = link ?? open[0];
  if (dangling) throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(source, dangling.at)}`);
  return { text, entities: sortEntities(entities) };
}

/** Inside code and pre only '`' and '\' are escaped; ```lang\n starts a pre with a language. */
function codeSpan(source: string, at: number, fence: boolean): { body: string; end: number; language?: string } {
  const delimiter = fence ? "```" : "`";
  let i = at + delimiter.length;
  let language: string | undefined;
  if (fence) {
    const newline = source.indexOf("\n", i);
    const first = newline < 0 ? "" : source.slice(i, newline);
    if (/^[\w+-]+$/.test(first)) {
      language = first;
      i = newline + 1;
    }
  }
  let body = "";
  while (i < source.length) {
    if (source[i] === "\\" && i + 1 < source.length) {
      body += source[i + 1];
      i += 2;
      continue;
    }
    if (source.startsWith(delimiter, i)) return { body, end: i + delimiter.length, language };
    body += source[i];
    i++;
  }
  throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(source, at)}`);
}

function linkTarget(source: string, from: number): { url: string; end: number } {
  let url = "";
  for (let i = from; i < source.length; i++) {
    if (source[i] === "\\" && i + 1 < source.length) {
      url += source[++i];
      continue;
    }
    if (source[i] === ")") return { url, end: i + 1 };
    url += source[i];
  }
  throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(source, from)}`);
}

// ---- legacy Markdown -------------------------------------------------------------------

const LEGACY: [string, MessageEntity["type"]][] = [["```", "pre"], ["`", "code"], ["*", "bold"], ["_", "italic"]];

/** Entities cannot nest; '\' escapes only _ * ` [ outside entities. */
function parseMarkdown(source: string): Parsed {
  let text = "";
  const entities: MessageEntity[] = [];
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === "\\" && "_*`[".includes(source[i + 1] ?? "")) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    const marker = LEGACY.find(([m]) => source.startsWith(m, i));
    if (marker) {
      const [m, type] = marker;
      const end = source.indexOf(m, i + m.length);
      if (end < 0) throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(source, i)}`);
      const body = source.slice(i + m.length, end);
      if (body.length) entities.push({ type, offset: text.length, length: body.length } as MessageEntity);
      text += body;
      i = end + m.length;
      continue;
    }
    if (c === "[") {
      const m = /^\[([^\]]*)\]\(([^)]*)\)/.exec(source.slice(i));
      if (!m) throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(source, i)}`);
      if (m[1]!.length) entities.push({ type: "text_link", offset: text.length, length: m[1]!.length, url: m[2]! });
      text += m[1];
      i += m[0].length;
      continue;
    }
    text += c;
    i++;
  }
  return { text, entities };
}

const sortEntities = (entities: MessageEntity[]) => entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
