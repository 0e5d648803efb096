// Each outgoing message's way with times (issue 14): accepted by Unibox (the message's own
// time) → handed to the network (each try, with what it answered when it did not take it)
// → acknowledged (the network, or the recipient's hub or the group's room, holds it) →
// delivered → read, where the network reports them; a failure says why, a retry says when.
// Everything is taken from what already passes through the hub: its own message events,
// `status` events (every source raises states through them) and the remote sends' tries.
import { conversationKind } from "../../core/conversation";
import type { DeliveryState, HubEvent, TimelineStep } from "../../core/protocol";
import type { Hub } from "./context";
import type { RemoteSends } from "./remote-send";

export type Timeline = { msgId: string; conv: string; state: DeliveryState; steps: TimelineStep[]; readBy?: string[] };

const STEP_OF: Partial<Record<string, TimelineStep["step"]>> = { sent: "acknowledged", delivered: "delivered", read: "read", failed: "failed", queued: "retried" };

export class Timelines {
  constructor(
    private hub: Hub,
    remote: RemoteSends,
  ) {
    hub.events.watch((ev) => this.follow(ev));
    remote.onAttempt((t) => {
      const failed = t.result.ok ? {} : { reason: t.result.message, code: t.result.code };
      hub.store.steps.add(t.msgId, { step: "handed", at: t.at, by: t.account, attempt: t.attempt, ...(t.result.ok || !t.result.retryable ? {} : failed) });
    });
  }

  /** The steps of one of the user's own messages, or null (not theirs, not in that conversation). */
  of(conv: string, msgId: string): Timeline | null {
    const { store, me } = this.hub;
    const own = store.messages.own(me, msgId);
    if (!own || own.conv !== conv) return null;
    const steps: TimelineStep[] = [{ step: "accepted", at: own.at }, ...store.steps.of(msgId)];
    const readBy = conversationKind(conv) === "group" ? store.messages.readBy(msgId) : undefined;
    return { msgId, conv, state: own.state ?? "sent", steps, ...(readBy ? { readBy } : {}) };
  }

  private follow(ev: HubEvent): void {
    const { store, me } = this.hub;
    const now = Date.now();
    if (ev.type === "message" && ev.msg.from === me && conversationKind(ev.conv) !== "remote") {
      // Native: the message event is written once the recipient's hub (or the room) holds it.
      return store.steps.add(ev.msg.id, { step: "acknowledged", at: now }, true);
    }
    if (ev.type !== "status" || ev.by === me) return;
    const step = STEP_OF[ev.state];
    if (!step) return;
    const group = conversationKind(ev.conv) === "group";
    // A status event names only messages whose state it raised (receipts.ts), and states only
    // rise: delivered and read come once per message (in a group, the `has` below sees to it).
    const once = step === "delivered" || step === "read";
    const entry: TimelineStep = { step, at: ev.at ?? now, by: ev.by, ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.code ? { code: ev.code } : {}) };
    // In a group, the first delivery and the first reader are steps; who else read is `readBy`.
    const unique = [...new Set(ev.msgIds)];
    const already = group && once ? store.steps.having(unique, step) : null;
    const ids = already ? unique.filter((id) => !already.has(id)) : unique;
    if (once) store.steps.addMany(ids, entry);
    else for (const id of ids) store.steps.add(id, entry);
  }
}
