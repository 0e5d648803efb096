// 1:1 messages between Unibox friends. Hot path: no D1 here; the friend set is cached in
// the hub and refreshed by the Worker when a socket opens or a friendship changes.
import { directConversationId, NATIVE_SOURCE } from "../../core/conversation";
import { refusal, type Result } from "../../core/errors";
import type { Body, Message, User } from "../../core/protocol";
import type { DeliverInput } from "../api";
import { hubOf } from "../stubs";
import { type Hub, Refused } from "./context";
import type { Receipts } from "./receipts";
import type { Accepted, SendLedger } from "./sends";

/** A hand-over to the recipient's hub this slow is logged (`delivery.slow`); the median is a few ms. */
const SLOW_DELIVERY_MS = 1000;
/** Messages in one hand-over at most (those queued behind one on its way go together). */
const MAX_BATCH = 64;

type Queued = { clientId: string; conv: string; peer: User; msg: Message; resolve: (a: Accepted) => void; reject: (err: unknown) => void };
type PeerQueue = { items: Queued[]; busy: boolean };

export class Direct {
  /** Sends waiting for their hand-over, per recipient; one hand-over per recipient is on its way at a time. */
  private queues = new Map<string, PeerQueue>();
  /** Sends on their way, by client id: a repeat of one waits for its answer. */
  private pending = new Map<string, Promise<Accepted>>();

  constructor(
    private hub: Hub,
    private sends: SendLedger,
    private receipts: Receipts,
  ) {}

  /** Idempotent by client id: a retry gets the first answer and is never delivered twice. */
  async send(clientId: string, to: string, body: Body): Promise<Accepted> {
    const { me, store } = this.hub;
    const done = this.sends.finished(clientId);
    if (done) return done;
    const pending = this.pending.get(clientId);
    if (pending) return pending;
    if (to === me) throw new Refused("invalid_target", "you cannot message yourself");
    const peer = store.friends.get(to);
    if (!peer) throw new Refused("not_friend", "you can only message your friends");
    const conv = directConversationId(me, to);
    const { msgId, at } = this.sends.reserve(clientId, conv);
    const msg: Message = { id: msgId, from: me, source: NATIVE_SOURCE, body, at };
    const accepted = new Promise<Accepted>((resolve, reject) => this.enqueue(to, { clientId, conv, peer, msg, resolve, reject }));
    this.pending.set(clientId, accepted);
    const forget = () => this.pending.delete(clientId);
    accepted.then(forget, forget);
    return accepted;
  }

  /**
   * A quiet conversation's message is handed over at once. Those sent while one is on its
   * way wait for its answer and then go together, in order: one call, one write on each
   * side, however many there are. A busy conversation costs per burst, not per message.
   */
  private enqueue(to: string, item: Queued): void {
    let queue = this.queues.get(to);
    if (!queue) this.queues.set(to, (queue = { items: [], busy: false }));
    queue.items.push(item);
    if (!queue.busy) void this.drain(to, queue);
  }

  private async drain(to: string, queue: PeerQueue): Promise<void> {
    queue.busy = true;
    try {
      while (queue.items.length > 0) await this.handOver(to, queue.items.splice(0, MAX_BATCH));
    } finally {
      queue.busy = false;
      if (this.queues.get(to) === queue && queue.items.length === 0) this.queues.delete(to);
    }
  }

  /** Never throws: every send of the batch is answered, accepted or failed with the reason. */
  private async handOver(to: string, batch: Queued[]): Promise<void> {
    try {
      await this.handOverOrThrow(to, batch);
    } catch (err) {
      for (const b of batch) b.reject(err); // those already accepted stay accepted
    }
  }

  private async handOverOrThrow(to: string, batch: Queued[]): Promise<void> {
    const { store } = this.hub;
    const { conv, peer } = batch[0]!;
    const started = Date.now();
    // The recipient's hub holds them first, so our log never shows a message they lack.
    const result = await hubOf(this.hub.env, to).deliver({ conv, msgs: batch.map((b) => b.msg), from: this.hub.profile() });
    const ms = Date.now() - started;
    if (ms >= SLOW_DELIVERY_MS) this.hub.log("warn", "delivery.slow", { conv, msgs: batch.length, ms });
    if (!result.ok) throw new Refused(result.code, result.message);
    // Our copies, in order, in one write with the sends' answers.
    const stored = store.messages.existing(batch.map((b) => b.msg.id));
    const fresh = batch.filter((b) => !stored.has(b.msg.id));
    if (fresh.length > 0) {
      store.conversations.ensure({ id: conv, kind: "direct", source: NATIVE_SOURCE, title: peer.displayName, peer }, fresh[0]!.msg.at);
      this.hub.events.appendMany(
        fresh.map((b) => ({ type: "message", conv, msg: b.msg })),
        (seqs) => store.messages.insertMany(conv, fresh.map((b, k) => ({ msg: b.msg, seq: seqs[k]!, state: "sent" }))),
      );
      for (const b of fresh) this.receipts.applyEarly(b.msg.id);
    }
    for (const b of batch) b.resolve(this.sends.finished(b.clientId) ?? this.sends.finish(b.clientId, { msgId: b.msg.id, conv, at: b.msg.at }));
  }

  /** Called by the sender's hub, with one or more messages in order. Deduped by message id, so a retried delivery is harmless. */
  deliver(input: DeliverInput): Result {
    const { store } = this.hub;
    const msgs = "msgs" in input ? input.msgs : [input.msg];
    const stored = store.messages.existing(msgs.map((m) => m.id));
    const fresh = [...new Map(msgs.filter((m) => !stored.has(m.id)).map((m) => [m.id, m])).values()];
    if (fresh.length === 0) return { ok: true };
    if (!store.friends.has(input.from.id)) return refusal("not_friend", "you can only message your friends");
    const peer = store.friends.get(input.from.id) ?? input.from;
    const { conv } = input;
    store.conversations.ensure({ id: conv, kind: "direct", source: NATIVE_SOURCE, title: peer.displayName, peer }, fresh[0]!.at);
    this.hub.events.appendMany(
      fresh.map((msg) => ({ type: "message", conv, msg })),
      (seqs) => store.messages.insertMany(conv, fresh.map((msg, k) => ({ msg, seq: seqs[k]!, state: null }))),
    );
    return { ok: true };
  }
}
