// The group's order, for a chaos run with room sockets. The room's seq is the order (with
// gaps: a member sees only the entries for them); one message has one seq for everybody.
// Hub events carry no room seq, so the seq of a message that came by the hub socket is
// read from the room's log after the run.
import type { ResilientClient, Shown, Violation } from "./client";
import { readRoomLog } from "./room-socket";

export type RoomOrder = {
  /** The room seq of a message, -1 (and a violation) for one the room's log does not hold. */
  seq(who: string, m: { id: string; text: string }): number;
  /** A thread in the room's order. */
  sorted(who: string, thread: Shown[]): Shown[];
};

/** Every member's room log (`hello {resume: 0}`) and what their room sockets brought, as one map. */
export async function readRoomOrder(base: string, group: string, members: { token: string; client: ResilientClient }[], out: Violation[]): Promise<RoomOrder> {
  const seqOf = new Map<string, number>();
  const learn = (who: string, id: string, seq: number) => {
    const prior = seqOf.get(id);
    if (prior !== undefined && prior !== seq) out.push({ kind: "duplicate", detail: `${id} at room seq ${prior}, and ${seq} for ${who}` });
    seqOf.set(id, prior ?? seq);
  };
  for (const { token, client } of members) {
    for (const [id, seq] of client.roomSeqOf) learn(client.name, id, seq);
    for (const [id, seq] of (await readRoomLog(base, token, group)) ?? []) learn(`${client.name}'s room log`, id, seq);
  }
  const missing = new Set<string>();
  const seq = (who: string, m: { id: string; text: string }) => {
    const s = seqOf.get(m.id);
    if (s !== undefined) return s;
    if (!missing.has(`${who} ${m.id}`)) out.push({ kind: "unknown-entry", detail: `${who} has ${m.id} (${m.text}), which is not in the room's log` });
    missing.add(`${who} ${m.id}`);
    return -1;
  };
  return { seq, sorted: (who, thread) => [...thread].sort((a, b) => seq(who, a) - seq(who, b)) };
}

/** The hub socket brings a group's messages in the room's order too (its log is one stream, whatever the reconnects). */
export function checkHubStream(client: ResilientClient, conv: string, order: RoomOrder, out: Violation[]): void {
  let newest = 0;
  for (const { ev } of client.received) {
    if (ev.type !== "message" || ev.conv !== conv || ev.msg.body.type !== "text") continue;
    const s = order.seq(client.name, { id: ev.msg.id, text: ev.msg.body.text });
    if (s < newest) out.push({ kind: "reorder", detail: `${client.name}'s hub socket brought ${ev.msg.body.text} (room seq ${s}) after room seq ${newest}` });
    newest = Math.max(newest, s);
  }
}

/** Messages that first arrived after one with a higher room seq: by the other socket, around a reconnect. Not wrong: the thread places them. */
export function lateArrivals(client: ResilientClient, thread: Shown[], order: RoomOrder): number {
  let late = 0;
  let newest = 0;
  for (const m of thread) {
    const s = order.seq(client.name, m);
    if (s < newest) late++;
    newest = Math.max(newest, s);
  }
  return late;
}

/**
 * Whether the member can show its thread in the room's order. Two messages that both came
 * by the room socket compare by room seq, two that both came by the hub socket by hub seq
 * (checkHubStream holds that to the room's order); for any other pair a device has only
 * their times (`at`, then id, as client/src/state/threads.ts falls back to). Counts the
 * neighbours in the room's order that this member can only place by time and that time
 * puts the other way round; members who got different messages by different sockets then
 * see the group in different orders.
 */
export function checkThreadOrder(client: ResilientClient, thread: Shown[], order: RoomOrder, out: Violation[]): number {
  const bySeq = order.sorted(client.name, thread);
  let misplaced = 0;
  let mostMs = 0;
  let first: [Shown, Shown] | undefined;
  for (let i = 1; i < bySeq.length; i++) {
    const [a, b] = [bySeq[i - 1]!, bySeq[i]!];
    if ((a.roomSeq !== undefined && b.roomSeq !== undefined) || (a.hubSeq !== undefined && b.hubSeq !== undefined)) continue;
    if (a.at < b.at || (a.at === b.at && a.id.localeCompare(b.id) <= 0)) continue;
    misplaced++;
    mostMs = Math.max(mostMs, a.at - b.at);
    first ??= [a, b];
  }
  if (first) {
    const [a, b] = first;
    const about = (m: Shown) => `${m.text} (room seq ${order.seq(client.name, m)}, at ${m.at}, by ${m.hubSeq !== undefined ? "hub" : "room"})`;
    out.push({ kind: "thread-order", detail: `${client.name} can place ${misplaced} of ${bySeq.length} group messages only by time, which has them before their room predecessor (by up to ${mostMs} ms); first ${about(b)} before ${about(a)}` });
  }
  return misplaced;
}
