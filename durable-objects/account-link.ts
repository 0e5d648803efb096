import { DurableObject } from "cloudflare:workers";
import { refusal, type Result } from "../core/errors";
import type { RemoteContact } from "../core/protocol";
import { keyRing, needsReseal, seal, unseal } from "../worker/connectors/credentials";
import { createLinkIO, sqlStore } from "../worker/connectors/io";
import { connectorFor } from "../worker/connectors/registry";
import { type AccountRef, type Connector, type LinkIO, type LiveSession, type Outbound, RemoteError, type RemoteEvent, type SendResult, type StateReport, type TextLimits } from "../worker/connectors/types";
import type { Env } from "../worker/env";
import { backoffMs } from "./account-link/backoff";
import { type Reported, StateReporter } from "./account-link/state";
import { constantTimeEqual } from "./account-link/secret";
import { LinkStore } from "./account-link/store";
import { failureOf, gone, limitsOf, messageOf, needsCredentials, sendThread } from "./account-link/outbound";
import { nextPollAt } from "./account-link/poll";
import type { AccountLinkApi, LinkInit, LinkSend, LinkStatus } from "./api";
import { hubOf } from "./stubs";

/** Where a webhook connector keeps its per-account secret in its store (the link checks it). */
const WEBHOOK_SECRET_KEY = "webhookSecret";

/** While the owner is online, the link looks in this often to be sure its session is alive (e.g. after an eviction). */
const WATCHDOG_MS = 30_000;

/**
 * One per bound account (named by account id): the sealed credentials, the upstream session
 * while the owner is online, the catch-up cursor, backoff and the account's state. Generic:
 * it knows no network by name; its connector (from the registry) does the talking. Kept out
 * of UserHub because an outbound socket keeps an object awake and the hub must hibernate.
 */
export class AccountLink extends DurableObject<Env> implements AccountLinkApi {
  private store: LinkStore;
  private session: LiveSession | undefined;
  private connecting: Promise<void> | undefined;
  private emitting: Promise<unknown> = Promise.resolve();
  /** The poll under way: a second caller (Cron while the link's own timer polls) waits for it instead of polling again. */
  private polling: Promise<{ nextAt: number | null }> | undefined;
  private reporter: StateReporter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new LinkStore(ctx.storage.sql);
    this.reporter = new StateReporter(
      () => this.get<Reported>("state"),
      (r) => this.put("state", r),
      (r) => this.tellHub(r),
      () => Number(this.env.ACCOUNT_BLIP_SECONDS ?? 90) * 1000,
      (kind, due) => this.setTimer(kind, due),
    );
  }

  private get<T>(k: string): T | undefined {
    return this.store.get<T>(k);
  }
  private put(k: string, v: unknown): void {
    this.store.put(k, v);
  }
  private get account(): AccountRef | undefined {
    return this.store.account;
  }
  private get wanted(): "open" | "closed" {
    return this.store.wanted;
  }

  private connector(account: AccountRef): Connector<unknown> {
    const c = connectorFor(account.network);
    if (!c) throw new Error(`no connector for ${account.network}`);
    return c;
  }

  private io(account: AccountRef): LinkIO {
    return createLinkIO(account, this.env, sqlStore(this.ctx.storage.sql));
  }

  private async credentials(account: AccountRef): Promise<unknown> {
    const sealed = this.get<string>("sealed");
    if (!sealed) throw new Error("account has no credentials");
    const ring = keyRing(this.env);
    const creds = await unseal(ring, account.id, sealed);
    // Rotated key: seal again under the current one, so the old key can be retired.
    if (needsReseal(ring, sealed)) this.put("sealed", await seal(ring, account.id, creds));
    return creds;
  }

  // ---- bind and unbind -----------------------------------------------------------------

  async bind(init: LinkInit): Promise<Result<{ remote: string; limits?: TextLimits }>> {
    if (this.account && this.account.id !== init.account.id) return refusal("internal", "this link belongs to another account");
    const connector = connectorFor(init.account.network);
    if (!connector) return refusal("unsupported_network", `this server cannot bind ${init.account.network} accounts`);
    const parsed = connector.credentials.safeParse(init.credentials);
    if (!parsed.success) return refusal("invalid_input", parsed.error.issues.map((i) => `${i.path.join(".") || "credentials"}: ${i.message}`).join("; "));
    this.put("account", init.account);
    const verified = await this.verify(connector, init.account, parsed.data);
    if (!verified.ok) {
      await this.forget();
      return verified;
    }
    this.put("sealed", await seal(keyRing(this.env), init.account.id, parsed.data));
    this.put("remote", verified.remote);
    try {
      await connector.bound?.(parsed.data, this.io(init.account));
    } catch (err) {
      await this.forget();
      return refusal("server_unreachable", `the account works, but setting it up failed: ${messageOf(err)}`);
    }
    await this.reporter.report({ state: "connecting", message: "bound; connecting when you are online" });
    const limits = limitsOf(connector, this.io(init.account));
    return { ok: true, remote: verified.remote, ...(limits ? { limits } : {}) };
  }

  async rebind(credentials: Record<string, unknown>): Promise<Result<{ remote: string }>> {
    const account = this.account;
    if (!account) return refusal("account_not_found");
    const connector = this.connector(account);
    const parsed = connector.credentials.safeParse(credentials);
    if (!parsed.success) return refusal("invalid_input", parsed.error.issues.map((i) => `${i.path.join(".") || "credentials"}: ${i.message}`).join("; "));
    const verified = await this.verify(connector, account, parsed.data);
    if (!verified.ok) return verified;
    this.put("sealed", await seal(keyRing(this.env), account.id, parsed.data));
    this.put("attempt", 0);
    await this.reporter.report({ state: "connecting", message: "new credentials; connecting" });
    await this.dropSession();
    if (this.wanted === "open") this.ensureLive();
    return { ok: true, remote: verified.remote };
  }

  private async verify(connector: Connector<unknown>, account: AccountRef, creds: unknown): Promise<Result<{ remote: string }>> {
    try {
      const v = await connector.verify(creds, this.io(account));
      if (v.ok) return { ok: true, remote: v.remote.id };
      const code = v.code === "unreachable" ? "server_unreachable" : v.code;
      return refusal(code, v.message);
    } catch (err) {
      return refusal(err instanceof RemoteError && err.kind === "auth" ? "bad_credentials" : "server_unreachable", messageOf(err));
    }
  }

  async unbind(): Promise<void> {
    const account = this.account;
    await this.dropSession();
    if (account && this.get<string>("sealed")) {
      try {
        await this.connector(account).unbound?.(await this.credentials(account), this.io(account));
      } catch (err) {
        this.log("link.unbound_failed", { error: messageOf(err) });
      }
    }
    await this.forget();
  }

  private async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.store.create();
  }

  // ---- online and offline --------------------------------------------------------------

  async open(): Promise<void> {
    const account = this.account;
    if (!account) return;
    this.put("wanted", "open");
    const connector = this.connector(account);
    if (connector.connect) {
      this.ensureLive();
      this.setTimer("watchdog", Date.now() + WATCHDOG_MS);
    } else if (connector.poll) {
      this.setTimer("poll", Date.now());
    }
    await this.arm();
  }

  async close(): Promise<void> {
    if (!this.account) return;
    this.put("wanted", "closed");
    this.setTimer("watchdog", null);
    this.setTimer("reconnect", null);
    await this.dropSession();
    await this.arm();
  }

  /** Starts a connect unless one is running or a session is up. Never throws. */
  private ensureLive(): void {
    if (this.session || this.connecting || this.wanted !== "open") return;
    if (this.reporter.current().state === "bad_credentials") return; // until the user re-enters them
    this.connecting = this.connectOnce().finally(() => (this.connecting = undefined));
  }

  private async connectOnce(): Promise<void> {
    const account = this.account;
    if (!account) return;
    const connector = this.connector(account);
    try {
      const creds = await this.credentials(account);
      const session = await connector.connect!(creds, this.io(account), this.store.cursor, {
        emit: (events, cursor) => this.emit(events, cursor),
        state: (report) => void this.reporter.report(report).catch((err) => this.log("link.state_failed", { error: messageOf(err) })),
      });
      if (this.wanted !== "open") {
        await session.close(); // the owner left while we were connecting
        return;
      }
      this.session = session;
      this.put("attempt", 0);
      this.setTimer("reconnect", null);
      await this.reporter.report({ state: "connected", message: "connected" });
      void session.ended.then((end) => this.sessionEnded(session, end));
    } catch (err) {
      await this.failed(err);
    }
  }

  private async sessionEnded(session: LiveSession, end: { reason: string; kind: RemoteError["kind"] }): Promise<void> {
    if (this.session !== session) return; // closed on purpose, or replaced
    this.session = undefined;
    this.log("link.session_ended", { kind: end.kind, reason: end.reason });
    await this.failed(new RemoteError(end.kind, end.reason));
  }

  /** A connect or a session failed: say so, and try again later unless retrying cannot help. */
  private async failed(err: unknown): Promise<void> {
    const kind = err instanceof RemoteError ? err.kind : "transient";
    const message = messageOf(err);
    if (kind === "auth") {
      await this.reporter.report({ state: "bad_credentials", message, action: "re-enter the password or token" });
      return;
    }
    if (this.wanted !== "open") return;
    const attempt = this.store.attempt + 1;
    this.put("attempt", attempt);
    const wait = err instanceof RemoteError && err.retryAfterMs ? err.retryAfterMs : backoffMs(attempt - 1);
    const report: StateReport =
      kind === "permanent"
        ? { state: "unknown_error", message, action: "check the account's settings; retrying" }
        : { state: "transient_disconnect", message: `${message}; retrying in ${Math.ceil(wait / 1000)} s`, action: "nothing to do: Unibox reconnects by itself" };
    await this.reporter.report(report);
    this.setTimer("reconnect", Date.now() + wait);
    await this.arm();
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await this.connecting?.catch(() => undefined);
    const late = this.session as LiveSession | undefined; // a connect that finished meanwhile
    this.session = undefined;
    for (const s of [session, late]) {
      if (!s) continue;
      try {
        await s.close();
      } catch (err) {
        this.log("link.close_failed", { error: messageOf(err) });
      }
    }
  }

  // ---- events in -------------------------------------------------------------------------

  /** Hands events to the owner's hub, in order; the cursor moves only once the hub holds them. */
  private emit(events: RemoteEvent[], cursor?: string): Promise<void> {
    const run = this.emitting.then(async () => {
      const account = this.account;
      if (!account) return;
      if (events.length > 0) {
        const stored = await hubOf(this.env, account.owner).ingest(account.id, events);
        if (!stored.ok) throw new Error(`the hub refused the events: ${stored.code}`);
      }
      if (cursor !== undefined) this.put("cursor", cursor);
    });
    this.emitting = run.catch(() => undefined);
    return run;
  }

  /**
   * Cron → Queue → here. While the owner is online the link's own timer polls at the online
   * cadence, so a queued poll before that timer is due only says when it is.
   */
  async poll(): Promise<{ nextAt: number | null }> {
    const timer = this.store.timers.poll;
    if (this.wanted === "open" && timer !== undefined && timer > Date.now() && !this.polling) return { nextAt: timer };
    // A queued poll can come early (a message is delivered when its first account is due);
    // the wait a network named is kept whoever asks.
    const notBefore = this.store.notBefore;
    if (notBefore > Date.now()) return { nextAt: notBefore };
    return this.pollOnce();
  }

  /** One poll at a time: two at once would read the same cursor and could move it back. */
  private pollOnce(): Promise<{ nextAt: number | null }> {
    this.polling ??= this.pollNow().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollNow(): Promise<{ nextAt: number | null }> {
    const account = this.account;
    if (!account) return { nextAt: null };
    const connector = this.connector(account);
    if (!connector.poll || this.reporter.current().state === "bad_credentials") return { nextAt: null };
    if (this.session) return { nextAt: nextPollAt(connector, this.wanted, undefined, this.env.POLL_EVERY_MS) }; // live now: the session has it
    try {
      const result = await connector.poll(await this.credentials(account), this.io(account), this.store.cursor);
      await this.emit(result.events, result.cursor ?? undefined);
      this.put("attempt", 0);
      await this.reporter.report({ state: "connected", message: "up to date" });
      return { nextAt: nextPollAt(connector, this.wanted, result.nextInMs, this.env.POLL_EVERY_MS) };
    } catch (err) {
      const kind = err instanceof RemoteError ? err.kind : "transient";
      this.log("link.poll_failed", { kind, error: messageOf(err) });
      if (kind === "auth") {
        await this.reporter.report({ state: "bad_credentials", message: messageOf(err), action: "re-enter the password or token" });
        return { nextAt: null };
      }
      const attempt = this.store.attempt + 1;
      this.put("attempt", attempt);
      const told = err instanceof RemoteError ? err.retryAfterMs : undefined;
      const wait = told || backoffMs(attempt);
      if (told) this.put("notBefore", Date.now() + told);
      await this.reporter.report(
        kind === "permanent" ? { state: "unknown_error", message: messageOf(err) } : { state: "transient_disconnect", message: `${messageOf(err)}; trying again later` },
      );
      return { nextAt: Date.now() + wait };
    }
  }

  /** Webhook networks: the Worker forwards `/hooks/<network>/<account>` here. */
  async fetch(request: Request): Promise<Response> {
    const account = this.account;
    const hook = account && this.connector(account).webhook;
    // An unknown account answers like a wrong secret: nothing to learn by probing ids.
    if (!account || !hook || request.method !== "POST") return new Response("unauthorized", { status: 401 });
    const secret = sqlStore(this.ctx.storage.sql).get<string>(WEBHOOK_SECRET_KEY);
    if (!secret || !constantTimeEqual(secret, request.headers.get(hook.secretHeader) ?? "")) {
      this.log("link.webhook_refused", {});
      return new Response("unauthorized", { status: 401 });
    }
    try {
      const events = await hook.handle(await this.credentials(account), this.io(account), request);
      await this.emit(events);
      if (this.reporter.current().state !== "connected") await this.reporter.report({ state: "connected", message: "receiving" });
      return new Response(null, { status: 200 });
    } catch (err) {
      // A non-2xx makes the network deliver it again later: nothing is lost.
      this.log("link.webhook_failed", { error: messageOf(err) });
      return new Response("try again", { status: 503 });
    }
  }

  // ---- events out ------------------------------------------------------------------------

  async send(out: LinkSend): Promise<SendResult> {
    const account = this.account;
    if (!account) return gone();
    if (this.reporter.current().state === "bad_credentials") return needsCredentials();
    const connector = this.connector(account);
    try {
      const media = "media" in out.body ? await this.io(account).media.get(out.body.media) : null;
      const outbound = { ...out, ...(media ? { media: { ...media, filename: "media" } } : {}) };
      if (out.split && outbound.body.type === "text") return await sendThread(connector, this.io(account), { ...outbound, body: outbound.body }, (part) => this.sendOne(connector, account, part));
      return await this.sendOne(connector, account, outbound);
    } catch (err) {
      return failureOf(err);
    }
  }

  /** Boost or like a post of the feed by its remote id, where the network has it. */
  async act(action: "boost" | "like", remoteId: string): Promise<SendResult> {
    const account = this.account;
    if (!account) return gone();
    if (this.reporter.current().state === "bad_credentials") return needsCredentials();
    const run = this.connector(account).actions?.[action];
    if (!run) return { ok: false, code: "unsupported_action", message: `${account.network} has no ${action}`, retryable: false };
    try {
      return await run(await this.credentials(account), this.io(account), remoteId);
    } catch (err) {
      return failureOf(err);
    }
  }

  private async sendOne(connector: Connector<unknown>, account: AccountRef, outbound: Outbound): Promise<SendResult> {
    if (this.session) return this.session.send(outbound);
    if (connector.send) return connector.send(await this.credentials(account), this.io(account), outbound);
    this.ensureLive();
    return { ok: false, code: "remote_unavailable", message: "not connected to the network yet", retryable: true, retryAfterMs: 3_000 };
  }

  async markRead(chat: string, remoteIds: string[]): Promise<void> {
    const account = this.account;
    if (!account) return;
    if (this.session?.markRead) return this.session.markRead(chat, remoteIds);
    const connector = this.connector(account);
    if (connector.markRead) await connector.markRead(await this.credentials(account), this.io(account), chat, remoteIds);
  }

  async contacts(): Promise<RemoteContact[]> {
    const account = this.account;
    if (!account) return [];
    if (this.session?.contacts) return this.session.contacts();
    const connector = this.connector(account);
    if (connector.contacts) return connector.contacts(await this.credentials(account), this.io(account));
    return [];
  }

  async status(): Promise<LinkStatus> {
    return { state: this.reporter.current(), live: this.session !== undefined, wanted: this.wanted, cursor: this.store.cursor };
  }

  // ---- timers ----------------------------------------------------------------------------

  private setTimer(kind: string, due: number | null): void {
    this.store.setTimer(kind, due);
    void this.arm();
  }

  private async arm(): Promise<void> {
    const next = this.store.nextDue();
    if (next === null) return this.ctx.storage.deleteAlarm();
    await this.ctx.storage.setAlarm(next);
  }

  async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.store.takeDue(now);
    const timers: Record<string, number> = {};
    try {
      if (due.includes("blip")) await this.reporter.blipOver();
      if (due.includes("reconnect") || due.includes("watchdog")) this.ensureLive();
      if (due.includes("watchdog") && this.wanted === "open") timers.watchdog = now + WATCHDOG_MS;
      if (due.includes("poll")) {
        const { nextAt } = await this.pollOnce();
        if (nextAt !== null && this.wanted === "open") timers.poll = nextAt;
      }
      this.put("timers", { ...this.store.timers, ...timers });
    } catch (err) {
      this.log("link.alarm_failed", { error: messageOf(err) });
    } finally {
      await this.arm();
    }
  }

  // ---- the hub -----------------------------------------------------------------------------

  private async tellHub(report: StateReport): Promise<void> {
    const account = this.account;
    if (!account) return;
    await hubOf(this.env, account.owner).accountStatus(account.id, report);
  }

  private log(event: string, fields: Record<string, unknown>): void {
    const a = this.account;
    console.log(JSON.stringify({ event, account: a?.id, network: a?.network, user: a?.owner, ...fields }));
  }
}
