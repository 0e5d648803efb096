// Read receipts both ways. A Matrix receipt means "read up to here" (client-server API,
// "Receipts"), so the session remembers the order of recent events per room: a receipt at a
// later event of theirs covers every earlier message of ours, and of several messages we mark
// read only the newest needs a receipt.

type Seen = { id: string; mine: boolean };

/** Enough to cover what a person reads at once; older events fall out. */
const RECENT_MAX = 200;

export type Read = { eventId: string; userId: string; ts?: number };

/** m.receipt content: `{ $event: { "m.read": { @user: { ts } } } }`, public receipts only. */
export function readReceipts(ephemeral: { type: string; content: Record<string, unknown> }[]): Read[] {
  const out: Read[] = [];
  for (const ev of ephemeral) {
    if (ev.type !== "m.receipt") continue;
    for (const [eventId, byType] of Object.entries(ev.content)) {
      const readers = (byType as Record<string, Record<string, { ts?: number }> | undefined>)["m.read"] ?? {};
      for (const [userId, receipt] of Object.entries(readers)) out.push({ eventId, userId, ts: receipt?.ts });
    }
  }
  return out;
}

export class RecentEvents {
  private rooms = new Map<string, Seen[]>();

  remember(roomId: string, id: string, mine: boolean): void {
    const list = this.rooms.get(roomId) ?? [];
    list.push({ id, mine });
    if (list.length > RECENT_MAX) list.splice(0, list.length - RECENT_MAX);
    this.rooms.set(roomId, list);
  }

  /**
   * Our event ids a receipt at `eventId` covers. One at an event this session has not seen is
   * passed on as is: it may be ours from an earlier session, and the hub ignores ids it does not know.
   */
  readUpTo(roomId: string, eventId: string): string[] {
    const list = this.rooms.get(roomId) ?? [];
    const at = list.findIndex((s) => s.id === eventId);
    if (at < 0) return [eventId];
    return list.slice(0, at + 1).filter((s) => s.mine).map((s) => s.id);
  }

  /** The newest of the events, as far as this session saw them; otherwise the last given. */
  newest(roomId: string, ids: string[]): string {
    const list = this.rooms.get(roomId) ?? [];
    const position = (id: string) => list.findIndex((s) => s.id === id);
    return ids.reduce((best, id) => (position(id) < 0 || position(best) < 0 || position(id) > position(best) ? id : best));
  }
}
