// Posting a status (POST /api/v1/statuses) to the timeline, as a reply, or as a DM, with
// out.key as its Idempotency-Key: Mastodon answers a repeated key with the status it made
// the first time (for an hour), so a retry after a lost answer never posts twice. Media go
// first through POST /api/v2/media; video and audio are processed in the background (202,
// then GET /api/v1/media/:id answers 206 until done), so we wait for them, bounded.
import { MENTIONS_CHAT, TIMELINE_CHAT } from "../social";
import { failure, HttpError } from "../social/http";
import { measure } from "../social/text";
import type { LinkIO, Outbound, SendResult } from "../types";
import { limits, me, mentionOf } from "./account";
import { api, apiUrl, type Creds, failed, raw, type Status } from "./api";
import { dmParticipants } from "./convert";

const POST_TIMEOUT_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 120_000;
const PROCESSING_WAIT_MS = 30_000;

type Target = { visibility: Status["visibility"]; inReplyTo?: string; mentions: string[] };
type Refused = Extract<SendResult, { ok: false }>;

export async function send(creds: Creds, io: LinkIO, out: Outbound): Promise<SendResult> {
  try {
    const text = textOf(out);
    if (text === null) return refuse("unsupported_body", "Mastodon takes text, or a picture, video or sound with an optional caption");
    const target = await targetOf(creds, io, out);
    if ("ok" in target) return target;
    const instance = await limits(creds, io);
    const status = withMentions(text, target.mentions.map((a) => mentionOf(a, instance.host)));
    const length = measure(status, { urlChars: instance.urlChars, mentionDomainsFree: true });
    if (length > instance.maxChars) return refuse("too_long", `${length} characters; this instance takes ${instance.maxChars}`);
    const mediaIds = out.media ? [await upload(creds, io, out)] : [];
    const json = { status, visibility: target.visibility, ...(target.inReplyTo ? { in_reply_to_id: target.inReplyTo } : {}), ...(mediaIds.length ? { media_ids: mediaIds } : {}) };
    const { body } = await api<Status>(creds, io, "/api/v1/statuses", { method: "POST", json, headers: { "Idempotency-Key": out.key }, timeoutMs: POST_TIMEOUT_MS });
    io.store.delete(`media:${out.key}`);
    io.log("mastodon.posted", { status: body.id, visibility: target.visibility });
    return { ok: true, remoteId: body.id, at: Date.parse(body.created_at), url: body.url ?? body.uri };
  } catch (err) {
    const f = failure(err);
    // "Cannot attach files that have not finished processing": worth another try.
    return f.code === "remote_refused" && /processing/i.test(f.message) ? { ...f, code: "remote_unavailable", retryable: true, retryAfterMs: 5_000 } : f;
  }
}

/** The status text: a text body, or a media body's caption (a status may be media alone). */
function textOf(out: Outbound): string | null {
  const b = out.body;
  if (b.type === "text") return b.text;
  if ((b.type === "image" || b.type === "video" || b.type === "audio") && out.media) return b.caption ?? "";
  return null;
}

const refuse = (code: Refused["code"], message: string): Refused => ({ ok: false, code, message, retryable: false });

/**
 * Where a status goes, from the chat: the timeline (public; a reply when replyTo is set),
 * the mentions chat (always a reply, to the mention), or a DM chat (direct, mentioning
 * everyone in it). A reply keeps its parent's visibility and mentions its author.
 */
async function targetOf(creds: Creds, io: LinkIO, out: Outbound): Promise<Target | Refused> {
  if (out.chat === TIMELINE_CHAT && !out.replyTo) return { visibility: "public", mentions: [] };
  if (out.chat === TIMELINE_CHAT || out.chat === MENTIONS_CHAT) {
    if (!out.replyTo) return refuse("invalid_target", "a message in the mentions chat answers one of them: reply to it");
    const { body: parent } = await api<Status>(creds, io, `/api/v1/statuses/${encodeURIComponent(out.replyTo)}`);
    const shown = parent.reblog ?? parent;
    const self = await me(creds, io);
    const author = shown.account.id === self.id ? [] : [`@${shown.account.acct}`];
    return { visibility: shown.visibility, inReplyTo: shown.id, mentions: author };
  }
  const people = dmParticipants(out.chat);
  if (people.length === 0) return refuse("invalid_target", `no Mastodon chat ${out.chat}`);
  return { visibility: "direct", ...(out.replyTo ? { inReplyTo: out.replyTo } : {}), mentions: people };
}

/** Mentions the text lacks go in front, as Mastodon's own reply box does. */
function withMentions(text: string, mentions: string[]): string {
  const missing = mentions.filter((m) => !new RegExp(`(^|\\s)${escape(m)}(\\s|$)`, "i").test(text));
  return [...new Set(missing), text].filter(Boolean).join(" ");
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The uploaded media's id; kept per key so a retry reuses the upload instead of making another. */
async function upload(creds: Creds, io: LinkIO, out: Outbound): Promise<string> {
  const saved = io.store.get<string>(`media:${out.key}`);
  if (saved) {
    await processed(creds, io, saved);
    return saved;
  }
  const media = out.media!;
  const form = new FormData();
  form.append("file", new Blob([media.bytes as Uint8Array<ArrayBuffer>], { type: media.mime }), media.filename);
  const { body, res } = await api<{ id: string; url: string | null }>(creds, io, "/api/v2/media", { method: "POST", form, timeoutMs: UPLOAD_TIMEOUT_MS });
  io.store.put(`media:${out.key}`, body.id);
  if (res.status === 202 || body.url === null) await processed(creds, io, body.id);
  return body.id;
}

async function processed(creds: Creds, io: LinkIO, id: string): Promise<void> {
  let delay = 250;
  for (let waited = 0; ; waited += delay, delay = Math.min(delay * 2, 2_000)) {
    const res = await raw(creds, io, apiUrl(creds, `/api/v1/media/${encodeURIComponent(id)}`));
    if (res.status === 200) return void (await res.body?.cancel());
    if (res.status !== 206) throw await failed(res);
    await res.body?.cancel();
    if (waited >= PROCESSING_WAIT_MS) throw new HttpError("transient", "Mastodon is still processing the media", 206, 10_000);
    await new Promise((r) => setTimeout(r, delay));
  }
}
