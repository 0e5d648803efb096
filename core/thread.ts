// Splitting a long text into a thread of posts that each fit a network's limit, for the
// composer (shown as the user types) and the link (before sending). Pure, no I/O, no zod:
// the client imports it.
//
// - Words are kept whole; the whitespace inside a part is kept as written (newlines too),
//   the whitespace at a cut is dropped.
// - A word longer than a whole post is cut between graphemes, except a URL, which is never
//   cut (half a link is a broken link): a part that is one URL longer than the limit stays
//   over it, and the network refuses it as too_long.
// - Each part of a thread ends with " i/n", and that counts in the limit.
import { graphemeCount, graphemes } from "./text-length";

type Token = { word: string; sep: string };
export type Measure = (text: string) => number;

/** The parts to post, in order; one part (unnumbered) when the text fits. */
export function splitForThread(text: string, limit: number, measure: Measure = graphemeCount): string[] {
  const whole = text.trim();
  if (whole === "") return [];
  if (measure(whole) <= limit) return [whole];
  if (limit < measure(" 9/9") + 1) throw new RangeError(`a limit of ${limit} leaves no room for a numbered part`);
  const tokens = tokenize(whole);
  // Pack as if there were `n` parts; more parts than that means longer labels: pack again.
  // n only grows, so this ends; fewer parts than n keep fitting with their shorter labels.
  for (let n = 2; ; ) {
    const parts = pack(tokens, limit, n, measure);
    if (parts.length <= n) return parts.map((p, i) => `${p}${label(i + 1, parts.length)}`);
    n = parts.length;
  }
}

const HAS_URL = /https?:\/\//;
const label = (i: number, n: number) => ` ${i}/${n}`;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/(\S+)(\s*)/g)) out.push({ word: m[1]!, sep: m[2]! });
  return out;
}

function pack(tokens: Token[], limit: number, n: number, measure: Measure): string[] {
  const parts: string[] = [];
  let current = "";
  let sep = "";
  const fits = (s: string) => measure(s + label(parts.length + 1, n)) <= limit;
  const flush = () => {
    if (current !== "") parts.push(current);
    current = "";
    sep = "";
  };
  for (const t of tokens) {
    const joined = current === "" ? t.word : current + sep + t.word;
    if (fits(joined)) {
      current = joined;
      sep = t.sep;
      continue;
    }
    flush();
    if (fits(t.word) || HAS_URL.test(t.word)) {
      current = t.word;
      sep = t.sep;
      continue;
    }
    // A word longer than a whole part: cut it between graphemes, as much as fits each time.
    let rest = graphemes(t.word);
    while (rest.length > 0) {
      // The longest prefix that fits, by bisection (at least one grapheme).
      let lo = 1;
      let hi = rest.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(rest.slice(0, mid).join(""))) lo = mid;
        else hi = mid - 1;
      }
      const take = lo;
      const chunk = rest.slice(0, take).join("");
      rest = rest.slice(take);
      if (rest.length === 0) {
        current = chunk;
        sep = t.sep;
      } else {
        parts.push(chunk);
      }
    }
  }
  flush();
  return parts;
}
