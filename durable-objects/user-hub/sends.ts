// Idempotent sends: a client id reserves a message id and time on its first try; a retry
// gets the same ones, and once the send is done, the first answer.
import { newId } from "../../core/ids";
import type { ServerFrame } from "../../core/protocol";
import type { Hub } from "./context";

export type Accepted = Extract<ServerFrame, { t: "accepted" }>;

export class SendLedger {
  constructor(private hub: Hub) {}

  /** The first answer to a send that already went through, for a retry of it. */
  finished(clientId: string): Accepted | undefined {
    const prior = this.hub.store.sends.get(clientId);
    return prior?.done ? { t: "accepted", id: clientId, msgId: prior.msg_id, conv: prior.conv, at: prior.at } : undefined;
  }

  /** The message id and time for a send: reserved on the first try, reused by every retry. */
  reserve(clientId: string, conv: string): { msgId: string; at: number } {
    const { sends } = this.hub.store;
    const prior = sends.get(clientId);
    if (prior) return { msgId: prior.msg_id, at: prior.at };
    const reserved = { msgId: newId("m"), at: Date.now() };
    sends.reserve(clientId, reserved.msgId, conv, reserved.at);
    return reserved;
  }

  /** `stored`: the target kept another id and time for this client id (a group room that had the send already): those are the answer. */
  finish(clientId: string, answer: { msgId: string; conv: string; at: number }, stored?: { msgId: string; at: number }): Accepted {
    const differs = stored && (stored.msgId !== answer.msgId || stored.at !== answer.at);
    this.hub.store.sends.finish(clientId, differs ? stored : undefined);
    return { t: "accepted", id: clientId, ...answer, ...(differs ? { msgId: stored.msgId, at: stored.at } : {}) };
  }
}
