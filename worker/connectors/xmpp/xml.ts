// The XML that XMPP over WebSocket needs, and no more. RFC 7395 §3.3.3 frames every stanza
// as one complete element per WebSocket message, so a frame is parsed whole (no streaming
// parser), and RFC 6120 §11.1 forbids comments, processing instructions, DTDs and entity
// references other than the five predefined ones: a frame with any of those is refused,
// which also rules out entity-expansion attacks. Namespaces are resolved (default xmlns
// and prefixes such as `stream:`), because the same local name means different things in
// different namespaces (<received/> of receipts, markers and carbons).

export type Element = {
  /** Local name, without a prefix. */
  name: string;
  /** The resolved namespace. */
  ns: string;
  attrs: Record<string, string>;
  children: (Element | string)[];
};

const MAX_DEPTH = 64;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const NAME = /^[A-Za-z_][\w.:-]*/;

export class XmlError extends Error {}

/** Parses one frame: exactly one element, optionally preceded by an XML declaration. */
export function parseXml(text: string, inheritedNs = "jabber:client"): Element {
  const p = { s: text, i: 0 };
  skipSpace(p);
  if (p.s.startsWith("<?xml", p.i)) {
    const end = p.s.indexOf("?>", p.i);
    if (end < 0) throw new XmlError("unterminated XML declaration");
    p.i = end + 2;
    skipSpace(p);
  }
  const root = element(p, new Map([["", inheritedNs]]), 0);
  skipSpace(p);
  if (p.i !== p.s.length) throw new XmlError("text after the element");
  return root;
}

type Cursor = { s: string; i: number };

function skipSpace(p: Cursor): void {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function element(p: Cursor, scope: Map<string, string>, depth: number): Element {
  if (depth > MAX_DEPTH) throw new XmlError("nested too deep");
  if (p.s[p.i] !== "<") throw new XmlError("expected an element");
  p.i++;
  const qname = readName(p);
  const rawAttrs: [string, string][] = [];
  for (;;) {
    skipSpace(p);
    const c = p.s[p.i];
    if (c === "/" || c === ">") break;
    if (c === undefined) throw new XmlError("unterminated tag");
    const name = readName(p);
    skipSpace(p);
    if (p.s[p.i] !== "=") throw new XmlError(`attribute ${name} has no value`);
    p.i++;
    skipSpace(p);
    rawAttrs.push([name, readQuoted(p)]);
  }
  const inner = new Map(scope);
  const attrs: Record<string, string> = {};
  for (const [name, value] of rawAttrs) {
    if (Object.hasOwn(attrs, name)) throw new XmlError(`attribute ${name} twice`);
    attrs[name] = value;
    if (name === "xmlns") inner.set("", value);
    else if (name.startsWith("xmlns:")) inner.set(name.slice(6), value);
  }
  const colon = qname.indexOf(":");
  const prefix = colon < 0 ? "" : qname.slice(0, colon);
  const ns = inner.get(prefix);
  if (ns === undefined) throw new XmlError(`unknown prefix ${prefix}`);
  const el: Element = { name: qname.slice(colon + 1), ns, attrs, children: [] };
  if (p.s[p.i] === "/") {
    if (p.s[p.i + 1] !== ">") throw new XmlError("bad empty tag");
    p.i += 2;
    return el;
  }
  p.i++; // ">"
  content(p, el, qname, inner, depth);
  return el;
}

function content(p: Cursor, el: Element, qname: string, scope: Map<string, string>, depth: number): void {
  let text = "";
  const flush = () => {
    if (text) el.children.push(text);
    text = "";
  };
  for (;;) {
    const lt = p.s.indexOf("<", p.i);
    if (lt < 0) throw new XmlError(`unclosed <${qname}>`);
    text += decode(p.s.slice(p.i, lt));
    p.i = lt;
    if (p.s.startsWith("</", p.i)) {
      p.i += 2;
      const end = readName(p);
      skipSpace(p);
      if (end !== qname || p.s[p.i] !== ">") throw new XmlError(`</${end}> does not close <${qname}>`);
      p.i++;
      return flush();
    }
    if (p.s.startsWith("<![CDATA[", p.i)) {
      const end = p.s.indexOf("]]>", p.i);
      if (end < 0) throw new XmlError("unterminated CDATA");
      text += p.s.slice(p.i + 9, end);
      p.i = end + 3;
      continue;
    }
    if (p.s.startsWith("<!", p.i) || p.s.startsWith("<?", p.i)) throw new XmlError("comments, DTDs and processing instructions are not allowed (RFC 6120 §11.1)");
    flush();
    el.children.push(element(p, scope, depth + 1));
  }
}

function readName(p: Cursor): string {
  const m = NAME.exec(p.s.slice(p.i, p.i + 256));
  if (!m) throw new XmlError("expected a name");
  p.i += m[0].length;
  return m[0];
}

function readQuoted(p: Cursor): string {
  const q = p.s[p.i];
  if (q !== '"' && q !== "'") throw new XmlError("attribute values are quoted");
  const end = p.s.indexOf(q, p.i + 1);
  if (end < 0) throw new XmlError("unterminated attribute value");
  const raw = p.s.slice(p.i + 1, end);
  if (raw.includes("<")) throw new XmlError("< in an attribute value");
  p.i = end + 1;
  return decode(raw);
}

function decode(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;]{0,10});?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new XmlError("a bare & in text");
    if (ref.startsWith("#x")) return codePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith("#")) return codePoint(parseInt(ref.slice(1), 10), whole);
    const named = ENTITIES[ref];
    if (named === undefined) throw new XmlError(`entity ${whole} is not one of XML's five`);
    return named;
  });
}

function codePoint(n: number, ref: string): string {
  const ok = n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
  if (!ok) throw new XmlError(`${ref} is not a character XML allows`);
  return String.fromCodePoint(n);
}

// ---- reading a parsed element -----------------------------------------------------------

/** The first child element with this name (and namespace, when given). */
export function child(el: Element | undefined, name: string, ns?: string): Element | undefined {
  return el?.children.find((c): c is Element => typeof c !== "string" && c.name === name && (ns === undefined || c.ns === ns));
}

export function childrenOf(el: Element | undefined, name?: string, ns?: string): Element[] {
  return (el?.children ?? []).filter((c): c is Element => typeof c !== "string" && (name === undefined || c.name === name) && (ns === undefined || c.ns === ns));
}

/** The text directly inside an element. */
export function textOf(el: Element | undefined): string {
  return (el?.children ?? []).filter((c): c is string => typeof c === "string").join("");
}

// ---- writing ------------------------------------------------------------------------------

/** Markup built by `x()`, kept apart from text so text is always escaped. */
export class Xml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Child = Xml | string | undefined | false | null;

/** An element: `x("message", {to, type: "chat"}, x("body", {}, text))`. Undefined attributes are left out. */
export function x(name: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): Xml {
  const a = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escape(v)}"`)
    .join("");
  const inner = children.filter((c): c is Xml | string => c !== undefined && c !== false && c !== null).map((c) => (c instanceof Xml ? c.markup : escape(c))).join("");
  return new Xml(inner ? `<${name}${a}>${inner}</${name}>` : `<${name}${a}/>`);
}

export function escape(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped rather than sent as a stream error.
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** A top-level stanza: RFC 7395 §3.3.3 frames each one on its own, so each names jabber:client itself. */
export function stanza(name: "message" | "presence" | "iq", attrs: Record<string, string | undefined> = {}, ...children: Child[]): Xml {
  return x(name, { xmlns: "jabber:client", ...attrs }, ...children);
}
