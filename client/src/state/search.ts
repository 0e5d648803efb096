// Search over everything the user has, answered by their hub (issue 14).
import { signal } from "@preact/signals";
import { api, call } from "./api";
import type { MailSummary, StoredMessage } from "../../../core/protocol";

export type SearchFilters = { source?: string; person?: string; from?: number; to?: number };
export type SearchHit = { message?: StoredMessage; mail?: MailSummary; title: string; snippet: string; person?: string };

export const searchQuery = signal("");
export const searchFilters = signal<SearchFilters>({});
export const searchResults = signal<{ q: string; hits: SearchHit[]; before?: string } | null>(null);

/** One page of hits, newest first; `before` continues after the last page. */
export async function search(q: string, filters: SearchFilters, before?: string): Promise<{ hits: SearchHit[]; before?: string }> {
  const query: Record<string, string> = { q };
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== "") query[k] = String(v);
  if (before) query.before = before;
  return call(api.api.search.$get({ query: query as { q: string } }));
}

/** Runs the search on screen and keeps its answer (the newest question wins). */
export async function runSearch(): Promise<void> {
  const q = searchQuery.value.trim();
  if (!q) {
    searchResults.value = null;
    return;
  }
  const page = await search(q, searchFilters.value);
  if (searchQuery.value.trim() === q) searchResults.value = { q, ...page };
}

export async function moreResults(): Promise<void> {
  const now = searchResults.value;
  if (!now?.before) return;
  const page = await search(now.q, searchFilters.value, now.before);
  searchResults.value = { q: now.q, hits: [...now.hits, ...page.hits], ...(page.before ? { before: page.before } : {}) };
}
