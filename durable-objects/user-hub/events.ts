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
    return this.appendMany([ev], withIt && ((seqs) => withIt(seqs[0]!)))[0]!;
  }

  /**
   * Events in a row (a group room's batch, or one): written with a few statements, then
   * pushed one frame each, in order. Each is encoded once, for the log and the frame.
   */
  appendMany(evs: HubEvent[], withThem?: (seqs: number[]) => void): number[] {
    if (evs.length === 0) return [];
    const json = evs.map((ev) => JSON.stringify(ev));
    const seqs = this.store.log.appendMany(json);
    withThem?.(seqs);
    const sockets = this.ctx.getWebSockets();
    const ready = sockets.filter(isReady);
    for (let i = 0; i < evs.length; i++) {
      const frame = `{"t":"ev","seq":${seqs[i]},"ev":${json[i]}}`;
      for (const ws of ready) trySend(ws, frame);
      // A socket that is open but not ready yet gets this in its replay; none at all: away hooks.
      if (sockets.length === 0) for (const hook of this.away) hook(evs[i]!);
      for (const hook of this.watchers) hook(evs[i]!);
    }
    return seqs;
  }
}
