// Posting an app.bsky.feed.post record with createRecord. Never twice: the record key is a
// TID fixed per idempotency key at the first attempt (kept in io.store with its createdAt),
// and a retry, or an attempt whose answer was lost (no answer, a 5xx; a second write at the
// same key is a 500 from the PDS), reads the record back with getRecord before writing.
import { MENTIONS_CHAT, TIMELINE_CHAT } from "../social";
import { failure, HttpError } from "../social/http";
import { graphemeCount, utf8Length } from "../social/text";
import type { LinkIO, Outbound, SendResult } from "../types";
import { didOf, postUrl, rkeyOf } from "./convert";
import { facetsOf } from "./facets";
import { authed, type Session, session } from "./session";
import { tidFor } from "./tid";
import { type Creds, XrpcError, xrpc } from "./xrpc";

export const POST = "app.bsky.feed.post";
export const MAX_GRAPHEMES = 300;
/** The Lexicon's maxLength of a post's text, in UTF-8 bytes (long emoji sequences reach it first). */
const MAX_BYTES = 3000;
/** The Lexicon's maxSize for an image in app.bsky.embed.images. */
const MAX_IMAGE_BYTES = 1_000_000;
/** How long a send's rkey is kept: far past any retry the outbox makes. */
const ATTEMPT_TTL_MS = 7 * 24 * 3600_000;

type Attempt = { rkey: string; createdAt: string; tried: boolean };
type Refused = Extract<SendResult, { ok: false }>;
type Ref = { uri: string; cid: string };

export async function send(creds: Creds, io: LinkIO, out: Outbound): Promise<SendResult> {
  try {
    const text = textOf(out);
    if (text === null) return refuse("unsupported_body", "Bluesky takes text, or a picture with an optional caption");
    if (graphemeCount(text) > MAX_GRAPHEMES) return refuse("too_long", `${graphemeCount(text)} graphemes; Bluesky takes ${MAX_GRAPHEMES}`);
    if (utf8Length(text) > MAX_BYTES) return refuse("too_long", `${utf8Length(text)} bytes; Bluesky takes ${MAX_BYTES}`);
    if (out.media && out.media.bytes.byteLength > MAX_IMAGE_BYTES) return refuse("media_too_large", "Bluesky takes pictures up to 1 MB");
    if (out.chat !== TIMELINE_CHAT && out.chat !== MENTIONS_CHAT) return refuse("invalid_target", "Bluesky posts go to the timeline or answer a mention; DMs are not supported");
    if (out.chat === MENTIONS_CHAT && !out.replyTo) return refuse("invalid_target", "a message in the mentions chat answers one of them: reply to it");
    const s = await session(creds, io);
    const attempt = attemptFor(io, out.key);
    if (attempt.tried) {
      const done = await existing(io, s, attempt.rkey);
      if (done) return posted(io, s, done, attempt);
    }
    const record = await recordOf(creds, io, s, out, text, attempt.createdAt);
    saveAttempt(io, out.key, { ...attempt, tried: true });
    try {
      const r = await authed<Ref>(creds, io, "com.atproto.repo.createRecord", { input: { repo: s.did, collection: POST, rkey: attempt.rkey, record } });
      return posted(io, s, r, attempt);
    } catch (err) {
      if (!ambiguous(err)) throw err;
      const done = await existing(io, s, attempt.rkey);
      if (done) return posted(io, s, done, attempt);
      throw err;
    }
  } catch (err) {
    return failure(err);
  }
}

function textOf(out: Outbound): string | null {
  const b = out.body;
  if (b.type === "text") return b.text;
  if (b.type === "image" && out.media) return b.caption ?? "";
  return null;
}

const refuse = (code: Refused["code"], message: string): Refused => ({ ok: false, code, message, retryable: false });

/** No answer, or a 5xx: the write may have happened. */
const ambiguous = (err: unknown) => err instanceof HttpError && (err.status === 0 || err.status >= 500);

function posted(io: LinkIO, s: Session, r: Ref, attempt: Attempt): SendResult {
  io.log("bluesky.posted", { rkey: attempt.rkey });
  return { ok: true, remoteId: r.uri, at: Date.parse(attempt.createdAt), url: postUrl(io, s.handle, r.uri) };
}

function attemptFor(io: LinkIO, key: string): Attempt {
  const all = io.store.get<Record<string, Attempt & { at: number }>>("attempts") ?? {};
  const known = all[key];
  if (known) return known;
  const now = Date.now();
  return { rkey: tidFor(key, now), createdAt: new Date(now).toISOString(), tried: false };
}

function saveAttempt(io: LinkIO, key: string, attempt: Attempt): void {
  const now = Date.now();
  const all = io.store.get<Record<string, Attempt & { at: number }>>("attempts") ?? {};
  for (const [k, v] of Object.entries(all)) if (now - v.at > ATTEMPT_TTL_MS) delete all[k];
  all[key] = { ...attempt, at: now };
  io.store.put("attempts", all);
}

async function existing(io: LinkIO, s: Session, rkey: string): Promise<Ref | undefined> {
  try {
    return await xrpc<Ref>(io, s.pds, "com.atproto.repo.getRecord", { params: { repo: s.did, collection: POST, rkey } });
  } catch (err) {
    if (err instanceof XrpcError && err.error === "RecordNotFound") return undefined;
    throw err;
  }
}

async function recordOf(creds: Creds, io: LinkIO, s: Session, out: Outbound, text: string, createdAt: string): Promise<Record<string, unknown>> {
  const resolve = (handle: string) =>
    xrpc<{ did: string }>(io, s.pds, "com.atproto.identity.resolveHandle", { params: { handle } }).then(
      (r) => r.did,
      (err) => {
        if (err instanceof XrpcError && err.status === 400) return undefined; // no such handle: plain text
        throw err;
      },
    );
  const facets = await facetsOf(text, resolve);
  const record: Record<string, unknown> = { $type: POST, text, createdAt, ...(facets.length ? { facets } : {}) };
  if (out.replyTo) record.reply = await replyRefs(io, s, out.replyTo);
  if (out.media) {
    const { blob } = await authed<{ blob: unknown }>(creds, io, "com.atproto.repo.uploadBlob", { bytes: { data: out.media.bytes, type: out.media.mime }, timeoutMs: 120_000 });
    const alt = out.body.type === "image" ? (out.body.caption ?? "") : "";
    record.embed = { $type: "app.bsky.embed.images", images: [{ image: blob, alt }] };
  }
  return record;
}

/** A record by its at:// URI, with its CID. */
export async function getRecord(io: LinkIO, s: Session, uri: string): Promise<Ref & { value: Record<string, unknown> }> {
  const collection = uri.slice("at://".length).split("/")[1];
  try {
    return await xrpc(io, s.pds, "com.atproto.repo.getRecord", { params: { repo: didOf(uri), collection, rkey: rkeyOf(uri) } });
  } catch (err) {
    if (err instanceof XrpcError && err.error === "RecordNotFound") throw new HttpError("permanent", `Bluesky: ${uri} is not there any more`, 404);
    throw err;
  }
}

/** The post a remoteId means: a repost's remoteId means the post it reposts. */
export async function subjectOf(io: LinkIO, s: Session, uri: string): Promise<Ref & { value: Record<string, unknown> }> {
  const r = await getRecord(io, s, uri);
  const subject = r.value.subject as Ref | undefined;
  return uri.includes("/app.bsky.feed.repost/") && subject ? getRecord(io, s, subject.uri) : r;
}

/** A reply names its parent and its thread's root, both as strong refs (uri + cid). */
async function replyRefs(io: LinkIO, s: Session, parentUri: string): Promise<{ root: Ref; parent: Ref }> {
  const parent = await subjectOf(io, s, parentUri);
  const root = (parent.value.reply as { root?: Ref } | undefined)?.root ?? { uri: parent.uri, cid: parent.cid };
  return { root: { uri: root.uri, cid: root.cid }, parent: { uri: parent.uri, cid: parent.cid } };
}
