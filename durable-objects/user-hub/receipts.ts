// Delivered and read: a device's `ack` and `read` become receipts to the senders' hubs,
// throttled per sender, conversation and state, and sent through the outbox. A group's
// `delivered` goes to its room instead, held until the room's next delivery carries it
// back (groupAck) or, if none comes within GROUP_RECEIPT_HOLD_MS, on its own.
import { conversationKind, groupOf } from "../../core/conversation";
import type { ReceiptState } from "../../core/protocol";
import type { GroupAck } from "../api";
import { hubOf, roomOf } from "../stubs";
import { type Hub, Refused } from "./context";

/** Outbox kind of a group's `delivered` receipts, held for its room (the row's peer is the group id). */
const ROOM_STATUS = "room-status";

export type StatusInput = { conv: string; msgIds: string[]; state: ReceiptState; by: string; at: number };

export class Receipts {
  /** When the latest receipt per sender, conversation and state went or goes out (receiptSlot). */
  private lastReceipt = new Map<string, number>();

  /** Reads in conversations on bound accounts go to their networks, not to a Unibox hub. */
  private remoteRead: (conv: string, msgIds: string[]) => void = () => undefined;

  constructor(private hub: Hub) {
    hub.outbox.register("status", (payload: StatusInput, row) => hubOf(hub.env, row.peer).receiveStatus(payload));
    hub.outbox.register(ROOM_STATUS, (payload: StatusInput, row) => roomOf(hub.env, row.peer).delivered(payload.by, payload.msgIds, payload.at));
  }

  onRemoteRead(hook: (conv: string, msgIds: string[]) => void): void {
    this.remoteRead = hook;
  }

  /** A device stored everything up to `seq`: others' messages in that range are now delivered. */
  ack(seq: number): void {
    const { store } = this.hub;
    if (seq > store.log.headSeq) throw new Refused("invalid_ack", `seq ${seq} is past the head ${store.log.headSeq}`);
    const from = store.meta.number("delivered");
    if (seq <= from) return;
    const delivered = store.messages.receivedBetween(this.hub.me, from, seq);
    store.meta.set("delivered", seq);
    this.notifySenders(delivered, "delivered");
  }

  async read(conv: string, msgIds: string[]): Promise<void> {
    const { store, me } = this.hub;
    if (!store.conversations.has(conv)) throw new Refused("not_found", "no such conversation");
    let found = store.messages.inConversation(conv, msgIds);
    // A device with a room socket can read a group message before the room's digest
    // brought this hub its copy: ask the room for it now.
    const group = groupOf(conv);
    if (group && found.length < new Set(msgIds).size) {
      await roomOf(this.hub.env, group).catchUp(me);
      found = store.messages.inConversation(conv, msgIds);
    }
    if (found.length === 0) throw new Refused("not_found", "none of these messages are in this conversation");
    store.conversations.markRead(conv, Math.max(...found.map((m) => m.pos)));
    const theirs = found.filter((m) => m.sender !== me).map((m) => ({ ...m, conv }));
    // Own devices learn the conversation was read, and how many are still unread after it:
    // a message that came in after the ids this device saw is not read by this.
    const unread = store.conversations.unread(conv, me);
    this.hub.events.append({ type: "status", conv, msgIds: theirs.map((m) => m.id), state: "read", by: me, at: Date.now(), unread });
    if (conversationKind(conv) === "remote") this.remoteRead(conv, theirs.map((m) => m.id));
    else this.notifySenders(theirs, "read");
  }

  private notifySenders(msgs: { id: string; conv: string; sender: string }[], state: ReceiptState): void {
    const groups = new Map<string, { peer: string; conv: string; ids: string[] }>();
    const rooms = new Map<string, { conv: string; ids: string[] }>();
    // Only Unibox senders have a hub to tell; a remote sender's network has its own receipts.
    for (const m of msgs) {
      if (conversationKind(m.conv) === "remote") continue;
      const group = state === "delivered" ? groupOf(m.conv) : null;
      if (group) {
        const r = rooms.get(group) ?? { conv: m.conv, ids: [] };
        r.ids.push(m.id);
        rooms.set(group, r);
        continue;
      }
      const key = `${m.sender}\n${m.conv}`;
      const g = groups.get(key) ?? { peer: m.sender, conv: m.conv, ids: [] };
      g.ids.push(m.id);
      groups.set(key, g);
    }
    const at = Date.now();
    let now = false;
    let soonest = Infinity;
    for (const g of groups.values()) {
      const until = this.receiptSlot(`${g.peer}\n${g.conv}\n${state}`, at);
      this.hub.store.outbox.holdReceipt(g.peer, { conv: g.conv, msgIds: g.ids, state, by: this.hub.me, at } satisfies StatusInput, until);
      now ||= until === at;
      soonest = Math.min(soonest, until);
    }
    const hold = Number(this.hub.env.GROUP_RECEIPT_HOLD_MS ?? 1500);
    for (const [group, r] of rooms) {
      this.hub.store.outbox.holdReceipt(group, { conv: r.conv, msgIds: r.ids, state, by: this.hub.me, at } satisfies StatusInput, at + hold, ROOM_STATUS);
      soonest = Math.min(soonest, at + hold);
    }
    if (now) this.hub.outbox.flush();
    else if (soonest < Infinity) void this.hub.outbox.armBy(soonest);
  }

  /**
   * When a receipt for this sender, conversation and state goes out. The first one of a
   * while goes at once; those that follow within the hold window wait for its end and
   * leave together (the alarm sends them). A burst of acks or reads costs the sender's hub
   * two notifications, a lone receipt none of the wait. Kept in memory: after a restart
   * the next receipt simply goes at once.
   */
  private receiptSlot(key: string, at: number): number {
    const hold = Number(this.hub.env.RECEIPT_HOLD_MS ?? 200);
    const last = this.lastReceipt.get(key);
    let until = at; // quiet for a while: at once
    if (last !== undefined && last > at) until = last; // one is held: join it
    else if (last !== undefined && at - last < hold) until = last + hold; // one just went: wait out the window
    if (this.lastReceipt.size > 1000) for (const [k, t] of this.lastReceipt) if (t + hold <= at) this.lastReceipt.delete(k);
    this.lastReceipt.set(key, until);
    return until;
  }

  /** What the room's delivery takes back with it: the group's held `delivered` receipts, merged. */
  groupAck(groupId: string): GroupAck {
    const held = this.hub.store.outbox.take(groupId, ROOM_STATUS) as StatusInput[];
    if (held.length === 0) return null;
    return { delivered: [...new Set(held.flatMap((r) => r.msgIds))], by: this.hub.me, at: Math.max(...held.map((r) => r.at)) };
  }

  /** Called by a recipient's hub: our messages were delivered or read. */
  receive(input: StatusInput): void {
    const { messages, sends } = this.hub.store;
    // A fast reader's receipt can arrive while our own copy waits for `deliver` to return
    // (we write it after the recipient's). Keep it for that message; it applies once written.
    // In a group, our copy of a message sent on a room socket comes with the room's next
    // digest, which may be after its receipts: any receipt for a message not here yet waits.
    const group = conversationKind(input.conv) === "group";
    const here = messages.existing(input.msgIds);
    for (const id of input.msgIds) if (!here.has(id) && (group || sends.inFlight(id))) messages.keepEarlyReceipt(id, { ...input, msgIds: [id] });
    this.apply(input);
  }

  /** Receipts that overtook our copy of `msgId`, now that it is written. */
  applyEarly(msgId: string): void {
    for (const receipt of this.hub.store.messages.takeEarlyReceipts<StatusInput>(msgId)) this.apply(receipt);
  }

  private apply(input: StatusInput): void {
    const { messages } = this.hub.store;
    const changed = messages.raiseState(this.hub.me, input.msgIds, input.state);
    // In a group every reader counts: who has read is shown, not just that someone did.
    const perReader = conversationKind(input.conv) === "group" && input.state === "read";
    const news = perReader ? messages.addReaders(this.hub.me, input.msgIds, input.by, input.at) : changed;
    if (news.length > 0) this.hub.events.append({ type: "status", ...input, msgIds: news });
  }
}
