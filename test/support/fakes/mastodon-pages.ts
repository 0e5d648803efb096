// Mastodon's id pagination (app/models/concerns/paginable.rb) and its Link header
// (api/v1/timelines/base_controller.rb, docs api/guidelines#pagination):
// - max_id: results strictly below it, newest first;
// - since_id: the newest results strictly above it (a lower bound, not a cursor);
// - min_id: the results immediately above it (a cursor paging forward), still returned
//   newest first; when min_id is given, since_id is ignored;
// - limit: `[limit.to_i.abs, max].min`, the default when absent.
// The header is set only when the page is not empty: rel="next" is max_id=<last id>,
// rel="prev" is min_id=<first id>, each keeping the permitted params (Rails sorts them).
import { many, one, type Params } from "./mastodon-forms";

export type PageQuery = { maxId?: string; sinceId?: string; minId?: string; limit: number };

export function pageQuery(p: Params, defaultLimit: number, maxLimit: number): PageQuery {
  const raw = one(p, "limit");
  const limit = raw === undefined ? defaultLimit : Math.min(Math.abs(Number.parseInt(raw, 10) || 0), maxLimit);
  return { maxId: one(p, "max_id") || undefined, sinceId: one(p, "since_id") || undefined, minId: one(p, "min_id") || undefined, limit };
}

/** Vanilla Mastodon ids are decimal strings: longer is newer, then lexical order. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** One page of `rows` (any order) as Mastodon returns it: newest first. */
export function page<T extends { id: string }>(rows: T[], q: PageQuery): T[] {
  const below = (r: T) => !q.maxId || compareIds(r.id, q.maxId) < 0;
  if (q.minId) {
    const ascending = rows.filter((r) => compareIds(r.id, q.minId!) > 0 && below(r)).sort((a, b) => compareIds(a.id, b.id));
    return ascending.slice(0, q.limit).reverse();
  }
  const above = (r: T) => !q.sinceId || compareIds(r.id, q.sinceId) > 0;
  return rows
    .filter((r) => below(r) && above(r))
    .sort((a, b) => compareIds(b.id, a.id))
    .slice(0, q.limit);
}

export function linkHeader(base: string, items: { id: string }[], p: Params, permitted: string[]): string | undefined {
  if (items.length === 0) return undefined;
  const url = (extra: Record<string, string>) => `${base}?${toQuery(p, permitted, extra)}`;
  return `<${url({ max_id: items[items.length - 1]!.id })}>; rel="next", <${url({ min_id: items[0]!.id })}>; rel="prev"`;
}

/** Rails' Hash#to_query: each pair encoded, arrays as `key[]=v`, the pairs sorted. */
function toQuery(p: Params, permitted: string[], extra: Record<string, string>): string {
  const pairs: string[] = [];
  for (const key of permitted) {
    if (p[key] === undefined) continue;
    if (Array.isArray(p[key])) for (const v of many(p, key)) pairs.push(`${encodeURIComponent(`${key}[]`)}=${encodeURIComponent(v)}`);
    else pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(one(p, key)!)}`);
  }
  for (const [k, v] of Object.entries(extra)) pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return pairs.sort().join("&");
}
