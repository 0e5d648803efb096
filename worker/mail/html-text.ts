// A plain-text reading of an HTML mail, for the snippet and for clients that show text:
// no DOM exists in workerd, so this works on the markup itself. It only has to read well;
// the HTML shown to the user is the original, sanitised on the client.
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", reg: "®", hellip: "…", mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", euro: "€", middot: "·", bull: "•", zwnj: "" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref.toLowerCase()] ?? all;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "";
  });
}

const BLOCK = /<\/?(p|div|br|tr|li|ul|ol|table|h[1-6]|blockquote|pre|hr|section|article|header|footer)\b[^>]*>/gi;

export function htmlToText(html: string): string {
  const text = html
    // Things that are not text: their content must not leak into the reading.
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(head|style|script|title|template)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<li\b[^>]*>/gi, "\n• ")
    .replace(BLOCK, "\n")
    .replace(/<a\b[^>]*\bhref\s*=\s*["']?(https?:[^"'\s>]+)["']?[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, label: string) => (label.replace(/<[^>]*>/g, "").trim() === href ? label : `${label} (${href})`))
    .replace(/<[^>]*>/g, "");
  return decodeEntities(text)
    .replace(/[ \t\f\v\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
