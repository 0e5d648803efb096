// Rich-text facets for a post (lexicon app.bsky.richtext.facet): links, mentions and
// hashtags marked by byte ranges of the text's UTF-8 encoding, as the Lexicon's byteSlice
// says (not UTF-16 string indexes: "é" is one index but two bytes). Mentions need the
// handle's DID: a handle that does not resolve stays plain text.
import { utf8Length } from "../social/text";

export type Facet = { index: { byteStart: number; byteEnd: number }; features: ({ $type: string } & Record<string, string>)[] };
type Found = { start: number; end: number; feature: Facet["features"][number] };

// A link: http(s) up to whitespace, less the punctuation that usually ends a sentence.
const LINK = /https?:\/\/[^\s<>"]+/g;
// A mention: "@" and a handle (labels joined by dots), not inside a word or an address.
const MENTION = /(^|[\s(])@([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+)/g;
// A hashtag: "#" and letters/digits/underscores, not all digits, at a word start.
const TAG = /(^|\s)#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)/gu;

export async function facetsOf(text: string, resolve: (handle: string) => Promise<string | undefined>): Promise<Facet[]> {
  const found: Found[] = [];
  for (const m of text.matchAll(LINK)) {
    const uri = trimLink(m[0]);
    found.push({ start: m.index!, end: m.index! + uri.length, feature: { $type: "app.bsky.richtext.facet#link", uri } });
  }
  for (const m of text.matchAll(MENTION)) {
    const handle = m[2]!.replace(/\.$/, "").toLowerCase();
    const start = m.index! + m[1]!.length;
    if (overlaps(found, start)) continue;
    const did = await resolve(handle);
    if (did) found.push({ start, end: start + 1 + handle.length, feature: { $type: "app.bsky.richtext.facet#mention", did } });
  }
  for (const m of text.matchAll(TAG)) {
    const start = m.index! + m[1]!.length;
    if (overlaps(found, start) || m[2]!.length > 64) continue;
    found.push({ start, end: start + 1 + m[2]!.length, feature: { $type: "app.bsky.richtext.facet#tag", tag: m[2]! } });
  }
  return found
    .sort((a, b) => a.start - b.start)
    .map((f) => ({ index: { byteStart: utf8Length(text.slice(0, f.start)), byteEnd: utf8Length(text.slice(0, f.end)) }, features: [f.feature] }));
}

const overlaps = (found: Found[], at: number) => found.some((f) => at >= f.start && at < f.end);

/** "https://x.y/a)." → "https://x.y/a": a closing bracket stays only when the link opened one. */
function trimLink(url: string): string {
  let u = url.replace(/[.,;:!?'"]+$/, "");
  while (u.endsWith(")") && (u.match(/\(/g)?.length ?? 0) < (u.match(/\)/g)?.length ?? 0)) u = u.slice(0, -1).replace(/[.,;:!?'"]+$/, "");
  return u;
}
