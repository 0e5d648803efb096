// One live Matrix session: a /sync long-poll loop from the stored cursor, turning each answer
// into RemoteEvents, plus sending, read markers and the contact list while it runs.
import type { LinkIO, LiveHandlers, LiveSession, Outbound, RemoteContact, RemoteError, RemoteEvent, SendResult } from "../types";
import { forgetToken, type Login } from "./auth";
import { Aborted, CS, type Homeserver, MatrixError, enc, sendFailure } from "./client";
import { inboundBody, isEdit, outboundContent, parseRemoteId, remoteId, sendable } from "./convert";
import { download, upload } from "./media";
import { RecentEvents, readReceipts } from "./receipts";
import { type MatrixEvent, Rooms } from "./rooms";
import { type JoinedRoom, POLL_MS, type SyncResponse, fillGap, sync } from "./sync";

type Ended = { reason: string; kind: RemoteError["kind"] };

const NOTICED_KEY = "encryptedNoticed";

export const ENCRYPTED_NOTICE = { key: "matrix.encrypted", text: "encrypted room: not supported yet" };
export const GAP_NOTICE = { key: "matrix.gap", text: "some older messages from while you were away were not fetched" };

export class MatrixSession implements LiveSession {
  readonly ended: Promise<Ended>;
  private finish!: (e: Ended) => void;
  private done = false;
  private closed = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private rooms: Rooms;
  private cursor: string | null = null;
  private recent = new RecentEvents();
  private contactsSent = "";
  private noticed: Set<string>;

  constructor(
    private io: LinkIO,
    private hs: Homeserver,
    private login: Login,
    private on: LiveHandlers,
  ) {
    this.rooms = new Rooms(login.userId);
    this.noticed = new Set(io.store.get<string[]>(NOTICED_KEY) ?? []);
    this.ended = new Promise((resolve) => (this.finish = resolve));
  }

  /** The first sync: the whole room state, and what happened since the cursor. Throws RemoteError. */
  async open(cursor: string | null): Promise<void> {
    // A sync from a cursor repeats the rooms' state (full_state) but not the account data,
    // so which rooms are direct chats is read once here.
    if (cursor) this.rooms.setDirect(await this.accountData("m.direct"));
    const res = await sync(this.hs, { since: cursor, fullState: cursor !== null });
    await this.absorb(res, cursor);
  }

  private async accountData(type: string): Promise<Record<string, unknown>> {
    const path = `${CS}/user/${enc(this.login.userId)}/account_data/${enc(type)}`;
    return this.hs.json<Record<string, unknown>>(path).catch((err) => {
      if (err instanceof MatrixError && err.errcode === "M_NOT_FOUND") return {};
      throw err;
    });
  }

  /** The long-poll loop, until close() or a failure that ends the session. */
  run(): void {
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    while (!this.closed) {
      try {
        const since = this.cursor;
        const res = await sync(this.hs, { since, timeoutMs: POLL_MS, signal: this.abort.signal });
        await this.absorb(res, since);
      } catch (err) {
        if (this.closed || err instanceof Aborted) return;
        if (err instanceof MatrixError && err.kind === "rate_limited") {
          this.io.log("matrix.rate_limited", { waitMs: err.retryAfterMs });
          await this.sleep(err.retryAfterMs ?? 5_000);
          continue;
        }
        return this.end(err);
      }
    }
  }

  private end(err: unknown): void {
    if (this.done) return;
    this.done = true;
    const kind: RemoteError["kind"] = err instanceof MatrixError ? err.kind : "permanent";
    const reason = err instanceof Error ? err.message : String(err);
    if (kind === "auth") forgetToken(this.io);
    this.io.log("matrix.session_ended", { kind, ...(err instanceof MatrixError ? { status: err.status, errcode: err.errcode } : {}) });
    this.finish({ reason, kind });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.loop;
  }

  // ---- from the homeserver -----------------------------------------------------------------

  /** One sync answer → events, emitted with its next_batch; the cursor moves only after that. */
  private async absorb(res: SyncResponse, since: string | null): Promise<void> {
    const events: RemoteEvent[] = [];
    const noticed: string[] = [];
    for (const ev of res.account_data?.events ?? []) if (ev.type === "m.direct") this.rooms.setDirect(ev.content);
    for (const roomId of Object.keys(res.rooms?.leave ?? {})) this.rooms.leave(roomId);
    for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
      events.push(...(await this.joined(roomId, room, since)));
      if (this.rooms.isEncrypted(roomId) && !this.noticed.has(roomId)) {
        events.push({ type: "notice", chat: this.rooms.chatOf(roomId), ...ENCRYPTED_NOTICE, at: Date.now() });
        noticed.push(roomId);
      }
    }
    const contacts = this.rooms.contacts();
    if (JSON.stringify(contacts) !== this.contactsSent) events.push({ type: "contacts", contacts });
    if (!events.length && res.next_batch === since) return;
    await this.on.emit(events, res.next_batch).catch((err) => {
      throw new MatrixError("transient", `events could not be stored: ${(err as Error).message}`, 0);
    });
    this.cursor = res.next_batch;
    this.contactsSent = JSON.stringify(contacts);
    if (noticed.length) {
      for (const roomId of noticed) this.noticed.add(roomId);
      this.io.store.put(NOTICED_KEY, [...this.noticed]);
    }
  }

  private async joined(roomId: string, room: JoinedRoom, since: string | null): Promise<RemoteEvent[]> {
    const out: RemoteEvent[] = [];
    this.rooms.setHeroes(roomId, room.summary?.["m.heroes"]);
    for (const ev of room.state?.events ?? []) this.rooms.applyState(roomId, ev);
    let timeline = room.timeline?.events ?? [];
    if (since && room.timeline?.limited && room.timeline.prev_batch) {
      const gap = await fillGap(this.hs, roomId, room.timeline.prev_batch, since, this.abort.signal);
      timeline = [...gap.events, ...timeline];
      if (!gap.complete) out.push({ type: "notice", chat: this.rooms.chatOf(roomId), ...GAP_NOTICE, at: Date.now() });
    }
    for (const ev of timeline) {
      const message = await this.timelineEvent(roomId, ev);
      if (message) out.push(message);
    }
    // The first sync of an account knows none of our messages yet, so its receipts say nothing.
    if (since) out.push(...this.receipts(roomId, room.ephemeral?.events ?? []));
    return out;
  }

  private async timelineEvent(roomId: string, ev: MatrixEvent): Promise<RemoteEvent | undefined> {
    if (ev.state_key !== undefined) {
      this.rooms.applyState(roomId, ev);
      return undefined;
    }
    this.recent.remember(roomId, ev.event_id, ev.sender === this.login.userId);
    if (ev.type !== "m.room.message" && ev.type !== "m.sticker") return undefined; // m.room.encrypted: the notice
    if (isEdit(ev.content)) return undefined;
    this.rooms.touched(roomId, ev.origin_server_ts);
    const content = ev.type === "m.sticker" ? { ...ev.content, msgtype: "m.image" } : ev.content;
    const senderName = this.rooms.nameOf(roomId, ev.sender);
    const body = await inboundBody(content, senderName, this.io.media, (mxc) => download(this.hs, mxc, this.abort.signal));
    if (!body) return undefined;
    const txn = ev.unsigned?.transaction_id;
    return {
      type: "message",
      chat: this.rooms.chatOf(roomId),
      remoteId: remoteId(roomId, ev.event_id),
      sender: { id: ev.sender, name: senderName },
      fromMe: ev.sender === this.login.userId,
      body,
      at: ev.origin_server_ts,
      // Only the device that sent an event sees its transaction_id: that is our out.key.
      ...(typeof txn === "string" ? { echoOf: txn } : {}),
    };
  }

  /** Their read receipts, as receipts for our messages they cover; ours from other devices are not reported. */
  private receipts(roomId: string, ephemeral: { type: string; content: Record<string, unknown> }[]): RemoteEvent[] {
    const chat = this.rooms.chatOf(roomId).id;
    return readReceipts(ephemeral)
      .filter((r) => r.userId !== this.login.userId)
      .map((r) => ({ read: r, ids: this.recent.readUpTo(roomId, r.eventId) }))
      .filter(({ ids }) => ids.length > 0)
      .map(({ read, ids }) => ({ type: "receipt", chat, remoteIds: ids.map((id) => remoteId(roomId, id)), state: "read", by: read.userId, at: read.ts ?? Date.now() }));
  }

  // ---- to the homeserver -------------------------------------------------------------------

  /** PUT /send with txnId = out.key: the spec makes a retransmission return the first event. */
  async send(out: Outbound): Promise<SendResult> {
    if (!sendable(out.body)) return { ok: false, code: "unsupported_body", message: "emails cannot go to Matrix", retryable: false };
    const roomId = this.rooms.roomFor(out.chat);
    if (!roomId) return { ok: false, code: "remote_refused", message: `this Matrix account has no room with ${out.chat}`, retryable: false };
    try {
      const mxc = out.media ? await this.uploadOnce(out) : undefined;
      const path = `${CS}/rooms/${enc(roomId)}/send/m.room.message/${enc(out.key)}`;
      const res = await this.hs.json<{ event_id: string }>(path, { method: "PUT", json: outboundContent(out, mxc) });
      this.io.store.delete(`upload:${out.key}`);
      return { ok: true, remoteId: remoteId(roomId, res.event_id), at: Date.now() };
    } catch (err) {
      return sendFailure(err);
    }
  }

  /** A retry after the upload went through but the send did not reuses the same mxc URI. */
  private async uploadOnce(out: Outbound): Promise<string> {
    const key = `upload:${out.key}`;
    const known = this.io.store.get<string>(key);
    if (known) return known;
    const mxc = await upload(this.hs, out.media!.bytes, out.media!.mime, out.media!.filename);
    this.io.store.put(key, mxc);
    return mxc;
  }

  /** One m.read receipt per room, at the newest of the ids (receipts mean "up to here"). */
  async markRead(_chat: string, remoteIds: string[]): Promise<void> {
    const byRoom = new Map<string, string[]>();
    for (const parsed of remoteIds.map(parseRemoteId)) {
      if (parsed) byRoom.set(parsed.roomId, [...(byRoom.get(parsed.roomId) ?? []), parsed.eventId]);
    }
    for (const [roomId, eventIds] of byRoom) {
      const eventId = this.recent.newest(roomId, eventIds);
      await this.hs.json(`${CS}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { json: {} }).catch((err) => {
        // An event the homeserver does not have (redacted, or never ours) has nothing to mark.
        if (!(err instanceof MatrixError && err.errcode === "M_NOT_FOUND")) throw err;
      });
    }
  }

  async contacts(): Promise<RemoteContact[]> {
    return this.rooms.contacts();
  }
}
