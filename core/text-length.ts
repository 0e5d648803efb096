// How social networks count a post's length, shared by the connectors (checking before
// they send), the link (splitting a thread) and the client (the count shown as the user
// types). Limits are in user-perceived characters (grapheme clusters: "👩‍👩‍👧‍👦" is one),
// counted with Intl.Segmenter, which workerd, Node and browsers all have. Some networks
// count a link as a fixed length whatever it spells. Pure and zod-free: the client's
// Social chunk imports it.

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export const graphemes = (s: string): string[] => Array.from(segmenter.segment(s), (g) => g.segment);
export const graphemeCount = (s: string): number => {
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
};

/** An http(s) URL as networks auto-link it: up to whitespace. */
export const URL_PATTERN = /https?:\/\/[^\s<>"]+/g;

export type LengthRules = {
  /** Every URL counts as this many characters, whatever it spells. */
  urlChars?: number;
  /** A mention "@user@domain" counts only "@user". */
  mentionDomainsFree?: boolean;
};

/** How long a network says `text` is, in graphemes, under its rules. */
export function measure(text: string, rules: LengthRules = {}): number {
  let s = text;
  if (rules.urlChars !== undefined) s = s.replace(URL_PATTERN, "x".repeat(rules.urlChars));
  if (rules.mentionDomainsFree) s = s.replace(/(^|[^\w/@])@(\w+)@[\w.-]+\w/g, "$1@$2");
  return graphemeCount(s);
}
