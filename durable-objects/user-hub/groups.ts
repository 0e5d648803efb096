// This user's side of temporary groups: sending through the room, and the room's log
// arriving here in its order.
import { groupConversationId, NATIVE_SOURCE } from "../../core/conversation";
import type { Body, Group, HubEvent, Message } from "../../core/protocol";
import type { QuietCopies } from "../api";
import type { RoomEntry } from "../group-room";
import { roomOf } from "../stubs";
import { type Hub, Refused } from "./context";
import type { Accepted, SendLedger } from "./sends";

/** The longest a read waits for the rooms to bring the hub's copy up to date. */
const CATCH_UP_MS = 2000;

export class Groups {
  constructor(
    private hub: Hub,
    private sends: SendLedger,
    /** Applies receipts that arrived before our own copy of `msgId`. */
    private early: (msgId: string) => void,
  ) {}

  /** Same guarantees as 1:1: idempotent by client id, `accepted` once the room and our hub hold it. */
  async send(clientId: string, groupId: string, body: Body): Promise<Accepted> {
    const done = this.sends.finished(clientId);
    if (done) return done;
    // Cached membership: no D1 on the hot path (the room checks again).
    const group = this.hub.store.groups.get(groupId);
    if (!group || group.status === "left") throw new Refused("group_not_found", "you are not in this group");
    if (group.status === "ended") throw new Refused("group_ended", "this group has ended");
    const conv = groupConversationId(groupId);
    const { msgId, at } = this.sends.reserve(clientId, conv);
    return this.hub.inOrder(conv, async () => {
      const result = await roomOf(this.hub.env, groupId).post(this.hub.me, clientId, { id: msgId, body, at });
      if (!result.ok) throw new Refused(result.code, result.message);
      // A retry of a send that first went on the room socket: the room's id and time are the message's.
      return this.sends.finish(clientId, { msgId, conv, at }, { msgId: result.msgId, at: result.at });
    });
  }

  /**
   * The hub's copy of a live member's groups comes lazily (a digest; durable-objects/
   * group-room.ts): before answering from it (history, the conversation list, search, a
   * timeline), the rooms bring it up to date. A room that fails or takes longer than
   * CATCH_UP_MS leaves the copy as it is: the answer goes out with what the hub holds, and
   * the device's room socket replays what the hub lacks (`hello {fresh}`).
   */
  async catchUp(groupIds: string[] = this.hub.store.groups.active()): Promise<void> {
    if (groupIds.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), CATCH_UP_MS)));
    const all = Promise.allSettled(groupIds.map((g) => roomOf(this.hub.env, g).catchUp(this.hub.me)));
    const results = await Promise.race([all, late]);
    clearTimeout(timer);
    if (results === "late") return console.error(`Group catch-up slower than ${CATCH_UP_MS} ms: groups=${groupIds.join(",")}`);
    for (const [i, r] of results.entries()) if (r.status === "rejected") console.error(`Group catch-up failed: group=${groupIds[i]}`, r.reason);
  }

  /**
   * Called by a group's room with entries in its log order; entries already seen are
   * skipped. `quiet` ones are held by this user's devices already (room sockets): they are
   * stored for history, search and unread counts, and the membership they change is
   * applied, but they are not logged or pushed (no `ev`, no Web Push).
   */
  deliver(groupId: string, entries: RoomEntry[], quiet: QuietCopies = { upTo: 0, own: false }): void {
    const isQuiet = (e: RoomEntry) => e.seq <= quiet.upTo || (quiet.own && e.kind === "message" && e.msg.from === this.hub.me);
    const { groups } = this.hub.store;
    const conv = groupConversationId(groupId);
    // The cursor is read once and written once per batch, and written up to the last entry
    // stored even if one after it throws, so a redelivery starts right after it.
    // Runs of messages (nearly everything) are written together: a few statements per run
    // instead of five per message. Membership events go one by one, in their place.
    const from = groups.roomSeq(groupId);
    let upTo = from;
    const fresh = entries.filter((e) => e.seq > from);
    try {
      for (let i = 0; i < fresh.length; ) {
        const entry = fresh[i]!;
        const q = isQuiet(entry);
        if (entry.kind === "event") {
          this.event(groupId, conv, entry.ev, q);
          upTo = entry.seq;
          i++;
          continue;
        }
        let j = i;
        while (j < fresh.length && fresh[j]!.kind === "message" && isQuiet(fresh[j]!) === q) j++;
        const run = fresh.slice(i, j) as Extract<RoomEntry, { kind: "message" }>[];
        this.messages(conv, run.map((e) => e.msg), q);
        upTo = run.at(-1)!.seq;
        i = j;
      }
    } finally {
      if (upTo > from) groups.setRoomSeq(groupId, upTo);
    }
  }

  private messages(conv: string, ms: Extract<RoomEntry, { kind: "message" }>["msg"][], quiet: boolean): void {
    const { store, me } = this.hub;
    const stored = store.messages.existing(ms.map((m) => m.id));
    const seen = new Set<string>();
    const msgs: Message[] = [];
    for (const m of ms) {
      if (stored.has(m.id) || seen.has(m.id)) continue;
      seen.add(m.id);
      msgs.push({ id: m.id, from: m.from, source: NATIVE_SOURCE, body: m.body, at: m.at });
    }
    const insert = (seqs: number[]) => store.messages.insertMany(conv, msgs.map((msg, k) => ({ msg, seq: seqs[k]!, state: msg.from === me ? "sent" : null })));
    // Quiet copies are not events: they take the log's head as their seq, so an `ack` (which
    // names later events) never counts them as delivered again.
    if (quiet) insert(msgs.map(() => store.log.headSeq));
    else this.hub.events.appendMany(msgs.map((msg) => ({ type: "message", conv, msg })), insert);
    // Receipts that came before our own copy (sent on a room socket, stored only now).
    for (const msg of msgs) if (msg.from === me) this.early(msg.id);
  }

  private event(groupId: string, conv: string, ev: HubEvent, quiet: boolean): void {
    const { store, me } = this.hub;
    if (ev.type === "group.invited") {
      store.groups.join(groupId, ev.group.name, Date.now());
      store.conversations.ensure({ id: conv, kind: "group", source: NATIVE_SOURCE, title: groupTitle(ev.group, me), ref: groupId }, ev.group.createdAt);
    }
    if (ev.type === "group.member.left" && ev.user === me) store.groups.setStatus(groupId, "left");
    if (ev.type === "group.expired") store.groups.setStatus(groupId, "ended", ev.reason);
    if (!quiet) this.hub.events.append(ev);
  }
}

/** A group without a name is called after its members, as messengers do. */
function groupTitle(group: Group, me: string): string {
  if (group.name) return group.name;
  const others = group.members.filter((m) => m.id !== me).map((m) => m.displayName);
  return others.slice(0, 3).join(", ") + (others.length > 3 ? ` +${others.length - 3}` : "");
}
