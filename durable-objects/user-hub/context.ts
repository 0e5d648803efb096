// What every part of a UserHub shares: its state and storage, who it belongs to, and the
// three services the features are built on (the event stream, the outbox, the timers).
import type { ErrorCode } from "../../core/errors";
import type { User } from "../../core/protocol";
import type { Env } from "../../worker/env";
import { EventStream } from "./events";
import { Outbox } from "./outbox";
import type { HubStore } from "./store";
import { Timers } from "./timers";
import { errorField, log, type LogFields } from "../../core/log";

/** A frame or call the hub refuses: becomes an `error` frame or a refusal, never a closed socket. */
export class Refused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class Hub {
  readonly events: EventStream;
  readonly outbox: Outbox;
  readonly timers: Timers;
  /** Per-conversation chains keep deliveries in send order while other frames interleave. */
  private chains = new Map<string, Promise<unknown>>();

  constructor(
    readonly ctx: DurableObjectState,
    /** Read through the object each time, so a test that swaps `env.DB` on the live instance is seen. */
    private envOf: () => Env,
    readonly store: HubStore,
  ) {
    this.timers = new Timers(ctx, store);
    this.outbox = new Outbox(store, this.timers, (...args) => this.log(...args));
    this.events = new EventStream(ctx, store);
  }

  get env(): Env {
    return this.envOf();
  }

  /** The user this hub belongs to: the name it was reached by (`hubOf`), kept for later wake-ups. */
  get me(): string {
    const name = this.ctx.id.name;
    if (name) return name;
    const known = this.store.meta.get("user");
    if (!known) throw new Error("UserHub used before it knows its user");
    return known;
  }

  /** The user's profile as the Worker last gave it (on socket open). */
  profile(): User {
    const p = this.store.meta.get("profile");
    return p ? (JSON.parse(p) as User) : { id: this.me, handle: this.me, address: "", displayName: this.me };
  }

  /** Whether a socket of this user is open now (one that is closing does not count). */
  hasSocketsOpen(): boolean {
    return this.ctx.getWebSockets().some((ws) => ws.readyState === WebSocket.OPEN);
  }

  private grace?: number;
  /** Read on every frame: reading `env` is not free, so once per object. */
  graceMs(): number {
    return (this.grace ??= Number(this.env.PRESENCE_GRACE_SECONDS ?? 60) * 1000);
  }

  inOrder<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  /** A log line with the event name and ids; never bodies or secrets. */
  log(level: "info" | "warn" | "error", event: string, fields: LogFields = {}, err?: unknown): void {
    log(event, { user: this.store.meta.get("user") ?? this.ctx.id.name, ...fields, ...(err ? { error: errorField(err) } : {}) }, level);
  }
}
