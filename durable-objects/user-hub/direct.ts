// 1:1 messages between Unibox friends. Hot path: no D1 here; the friend set is cached in
// the hub and refreshed by the Worker when a socket opens or a friendship changes.
import { directConversationId, NATIVE_SOURCE } from "../../core/conversation";
import { refusal, type Result } from "../../core/errors";
import type { Body, Message, User } from "../../core/protocol";
import { hubOf } from "../stubs";
import { type Hub, Refused } from "./context";
import type { Receipts } from "./receipts";
import type { Accepted, SendLedger } from "./sends";

/** A hand-over to the recipient's hub this slow is logged (`delivery.slow`); the median is a few ms. */
const SLOW_DELIVERY_MS = 1000;

export type DeliverInput = { conv: string; msg: Message; from: User };

export class Direct {
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
    if (to === me) throw new Refused("invalid_target", "you cannot message yourself");
    const peer = store.friends.get(to);
    if (!peer) throw new Refused("not_friend", "you can only message your friends");
    const conv = directConversationId(me, to);
    const { msgId, at } = this.sends.reserve(clientId, conv);
    const msg: Message = { id: msgId, from: me, source: NATIVE_SOURCE, body, at };

    return this.hub.inOrder(conv, async () => {
      if (this.sends.isDone(clientId)) return { t: "accepted", id: clientId, msgId, conv, at } as const;
      // The recipient's hub holds it first, so our log never shows a message they lack.
      const started = Date.now();
      const result = await hubOf(this.hub.env, to).deliver({ conv, msg, from: this.hub.profile() });
      const ms = Date.now() - started;
      if (ms >= SLOW_DELIVERY_MS) this.hub.log("warn", "delivery.slow", { conv, msg: msgId, ms });
      if (!result.ok) throw new Refused(result.code, result.message);
      if (!store.messages.has(msgId)) {
        store.conversations.ensure({ id: conv, kind: "direct", source: NATIVE_SOURCE, title: peer.displayName, peer }, at);
        this.hub.events.append({ type: "message", conv, msg }, (seq) => store.messages.insert(conv, msg, seq, "sent"));
        this.receipts.applyEarly(msgId);
      }
      return this.sends.finish(clientId, { msgId, conv, at });
    });
  }

  /** Called by the sender's hub. Deduped by message id, so a retried delivery is harmless. */
  deliver(input: DeliverInput): Result {
    const { store } = this.hub;
    if (store.messages.has(input.msg.id)) return { ok: true };
    if (!store.friends.has(input.from.id)) return refusal("not_friend", "you can only message your friends");
    const peer = store.friends.get(input.from.id) ?? input.from;
    store.conversations.ensure({ id: input.conv, kind: "direct", source: NATIVE_SOURCE, title: peer.displayName, peer }, input.msg.at);
    this.hub.events.append({ type: "message", conv: input.conv, msg: input.msg }, (seq) => store.messages.insert(input.conv, input.msg, seq, null));
    return { ok: true };
  }
}
