// GET /sync as the session uses it (client-server API, "Syncing").
//
// The cursor is the homeserver's own next_batch token. Every connect starts with one sync
// that carries the whole room state (full_state=true from a cursor, or the initial sync
// without one) so the room model is rebuilt from the server, then long-polls from there.
//
// Filter (inline JSON, no filter upload round trip): no presence, only m.direct from the
// account data, only m.receipt from the ephemeral events, and a timeline limit of
// FIRST_LIMIT for the very first sync of an account (its latest event per room, so the
// inbox shows each conversation without importing years of history) and CATCH_UP_LIMIT
// after that. A catch-up timeline that still comes back `limited` has a gap, filled by
// paging /messages backwards from prev_batch to the cursor, up to GAP_MAX events a room.
import { CS, type Homeserver, enc } from "./client";
import type { MatrixEvent } from "./rooms";

export const FIRST_LIMIT = 1;
export const CATCH_UP_LIMIT = 50;
export const GAP_MAX = 1000;
/** How long the homeserver may hold a long-poll; our fetch waits a little longer. */
export const POLL_MS = 30_000;

export type JoinedRoom = {
  summary?: { "m.heroes"?: string[] };
  state?: { events?: MatrixEvent[] };
  timeline?: { events?: MatrixEvent[]; limited?: boolean; prev_batch?: string };
  ephemeral?: { events?: { type: string; content: Record<string, unknown> }[] };
};

export type SyncResponse = {
  next_batch: string;
  rooms?: { join?: Record<string, JoinedRoom>; leave?: Record<string, unknown>; invite?: Record<string, unknown> };
  account_data?: { events?: { type: string; content: Record<string, unknown> }[] };
};

export function filterFor(limit: number): string {
  return JSON.stringify({
    presence: { not_types: ["*"] },
    account_data: { types: ["m.direct"] },
    room: {
      timeline: { limit },
      ephemeral: { types: ["m.receipt"] },
      account_data: { not_types: ["*"] },
    },
  });
}

export type SyncRequest = { since: string | null; fullState?: boolean; timeoutMs?: number; signal?: AbortSignal };

export function sync(hs: Homeserver, req: SyncRequest): Promise<SyncResponse> {
  const wait = req.timeoutMs ?? 0;
  return hs.json<SyncResponse>(`${CS}/sync`, {
    query: {
      since: req.since ?? undefined,
      full_state: req.fullState ? "true" : undefined,
      timeout: String(wait),
      filter: filterFor(req.since ? CATCH_UP_LIMIT : FIRST_LIMIT),
    },
    timeoutMs: wait + 20_000,
    signal: req.signal,
  });
}

/**
 * The events a limited timeline left out, oldest first: /messages backwards from the
 * timeline's prev_batch down to `since`. At most GAP_MAX; `complete` says whether it got them all.
 */
export async function fillGap(hs: Homeserver, roomId: string, prevBatch: string, since: string, signal?: AbortSignal): Promise<{ events: MatrixEvent[]; complete: boolean }> {
  const events: MatrixEvent[] = [];
  let from = prevBatch;
  let more = true;
  while (more && events.length < GAP_MAX) {
    const page: { chunk?: MatrixEvent[]; end?: string } = await hs.json(`${CS}/rooms/${enc(roomId)}/messages`, {
      query: { dir: "b", from, to: since, limit: "100" },
      signal,
    });
    const chunk = page.chunk ?? [];
    events.push(...chunk);
    // No `end` means the start of what we may see (or `to`) was reached.
    more = !!page.end && chunk.length > 0 && page.end !== from;
    from = page.end ?? from;
  }
  return { events: events.slice(0, GAP_MAX).reverse(), complete: !more && events.length <= GAP_MAX };
}
