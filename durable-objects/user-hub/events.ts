import type { HubEvent } from "../../core/protocol";
import type { HubStore } from "./store";
import { isReady, trySend } from "./socket-io";

/**
 * Every event the user sees goes through here: written to the log with the next seq,
 * then pushed to each ready socket. With no socket at all, `whenAway` hooks run (Web Push).
 */
export class EventStream {
  private away: ((ev: HubEvent) => void)[] = [];
  private watchers: ((ev: HubEvent) => void)[] = [];

  constructor(
    private ctx: DurableObjectState,
    private store: HubStore,
  ) {}

  whenAway(hook: (ev: HubEvent) => void): void {
    this.away.push(hook);
  }

  /** Sees every event after it is stored and pushed (e.g. broadcasts follow their messages' states). */
  watch(hook: (ev: HubEvent) => void): void {
    this.watchers.push(hook);
  }

  /** Writes the event (and whatever goes with it) before any device sees it, then pushes. */
  append(ev: HubEvent, withIt?: (seq: number) => void): number {
    const seq = this.store.log.append(ev);
    withIt?.(seq);
    const frame = JSON.stringify({ t: "ev", seq, ev });
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) if (isReady(ws)) trySend(ws, frame);
    // A socket that is open but not ready yet gets this in its replay; none at all: away hooks.
    if (sockets.length === 0) for (const hook of this.away) hook(ev);
    for (const hook of this.watchers) hook(ev);
    return seq;
  }
}
