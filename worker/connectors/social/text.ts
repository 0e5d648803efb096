// Text as social networks show it: HTML to plain text, entities, clipping. How they count
// it lives in core/text-length.ts (the client counts with it too); re-exported here.
import { graphemes } from "../../../core/text-length";

export { graphemeCount, graphemes, type LengthRules, measure, URL_PATTERN } from "../../../core/text-length";

export const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** The text cut to `max` graphemes, with an ellipsis when something was cut. */
export function clip(text: string, max: number): string {
  const g = graphemes(text);
  return g.length <= max ? text : `${g.slice(0, max - 1).join("").trimEnd()}…`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", hellip: "…", mdash: "—", ndash: "–", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * The readable text of a post's or an entry's HTML: paragraphs become blank lines, <br>
 * a newline, tags go, entities are decoded. Not a sanitizer: the result is plain text
 * and is shown as text, never as HTML.
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, "")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/(p|div|h[1-6]|li|blockquote|pre|tr)\s*>/gi, "\n\n")
      .replace(/<li\b[^>]*>/gi, "• ")
      .replace(/<[^>]*>/g, ""),
  )
    .replace(/[ \t\u00a0]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
