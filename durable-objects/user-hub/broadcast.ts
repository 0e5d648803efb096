// One message to several targets at once (patent flow 4): Unibox friends and groups, contacts
// on bound accounts, and networks by name, in one `broadcast {id, to, body}` frame. Each
// target is its own send with its own client id (`<id>#<n>`), so the whole broadcast is
// idempotent per (broadcast id, target) across retries and restarts; each target's way is
// reported as `broadcast.status` events, following its message's own states.
import type { Body, HubEvent, Target } from "../../core/protocol";
import { type Hub, Refused } from "./context";
import type { Accepted } from "./sends";

type TargetResult = { msgId?: string; conv?: string; error?: { code: string; message: string } };
type Sender = (clientId: string, to: Target, body: Body) => Promise<Accepted>;
type Row = { id: string; target: number; msg_id: string | null; conv: string | null; state: string; error?: string | null };

export class Broadcasts {
  constructor(
    private hub: Hub,
    private sendOne: Sender,
  ) {
    hub.events.watch((ev) => this.follow(ev));
  }

  async send(id: string, targets: Target[], body: Body): Promise<Accepted> {
    const results: TargetResult[] = [];
    for (const [n, to] of targets.entries()) results.push(await this.target(id, n, to, body));
    const first = results.find((r) => r.msgId);
    return { t: "accepted", id, msgId: first?.msgId ?? id, conv: first?.conv ?? "", at: Date.now(), targets: results };
  }

  private async target(id: string, n: number, to: Target, body: Body): Promise<TargetResult> {
    const known = this.row(id, n);
    if (known?.msg_id) return { msgId: known.msg_id, conv: known.conv! };
    // Refused the first time: the same refusal (a row from before the `error` column says only that it failed).
    if (known) return { error: known.error ? (JSON.parse(known.error) as { code: string; message: string }) : { code: "internal", message: "this target failed" } };
    try {
      const accepted = await this.sendOne(`${id}#${n}`, to, body);
      const state = this.hub.store.messages.own(this.hub.me, accepted.msgId)?.state ?? "sent";
      this.put({ id, target: n, msg_id: accepted.msgId, conv: accepted.conv, state });
      this.status(id, n, state, { msgId: accepted.msgId, conv: accepted.conv });
      return { msgId: accepted.msgId, conv: accepted.conv };
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      // A target refused at once (not a friend, no such account) fails alone; the others go.
      this.put({ id, target: n, msg_id: null, conv: null, state: "failed", error: JSON.stringify({ code: err.code, message: err.message }) });
      this.status(id, n, "failed", { code: err.code, reason: err.message });
      return { error: { code: err.code, message: err.message } };
    }
  }

  /** A status of one of a broadcast's messages is that target's state too. */
  private follow(ev: HubEvent): void {
    if (ev.type !== "status" || ev.by === this.hub.me) return;
    if (ev.msgIds.length === 0) return;
    for (const row of this.hub.store.broadcasts.forMessages(ev.msgIds)) {
      if (row.state === ev.state) continue;
      this.hub.store.broadcasts.setState(row.id, row.target, ev.state);
      this.status(row.id, row.target, ev.state, { msgId: row.msg_id!, conv: ev.conv, ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.code ? { code: ev.code } : {}), ...(ev.url ? { url: ev.url } : {}) });
    }
  }

  private status(id: string, target: number, state: string, extra: { msgId?: string; conv?: string; reason?: string; code?: string; url?: string }): void {
    const s = state as Extract<HubEvent, { type: "broadcast.status" }>["state"];
    this.hub.events.append({ type: "broadcast.status", id, target, state: s, ...extra, at: Date.now() });
  }

  private row(id: string, target: number): Row | undefined {
    return this.hub.store.broadcasts.get(id, target);
  }
  private put(row: Row): void {
    this.hub.store.broadcasts.put(row);
  }
}
