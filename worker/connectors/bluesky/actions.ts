// Reply, repost and like: a reply is a post (send.ts); a repost or like is a record whose
// subject is the post's strong ref. Acting on a repost in the timeline acts on the post it
// reposts. Doing either twice leaves one record: the PDS replaces a second like or repost
// of the same subject (its backlink rule).
import { type SocialActions, TIMELINE_CHAT } from "../social";
import { failure } from "../social/http";
import type { LinkIO, SendResult } from "../types";
import { didOf, postUrl } from "./convert";
import { POST, send, subjectOf } from "./send";
import { authed, session } from "./session";
import type { Creds } from "./xrpc";

async function mark(creds: Creds, io: LinkIO, remoteId: string, collection: "app.bsky.feed.like" | "app.bsky.feed.repost"): Promise<SendResult> {
  try {
    const s = await session(creds, io);
    const subject = await subjectOf(io, s, remoteId);
    if (!subject.uri.includes(`/${POST}/`)) return { ok: false, code: "invalid_target", message: "only posts can be liked or reposted", retryable: false };
    const record = { $type: collection, subject: { uri: subject.uri, cid: subject.cid }, createdAt: new Date().toISOString() };
    const r = await authed<{ uri: string }>(creds, io, "com.atproto.repo.createRecord", { input: { repo: s.did, collection, record } });
    // The web app takes a DID where a handle goes.
    return { ok: true, remoteId: r.uri, at: Date.now(), url: postUrl(io, didOf(subject.uri), subject.uri) };
  } catch (err) {
    return failure(err);
  }
}

export const actions = {
  reply: (creds, io, { key, remoteId, text }) => send(creds, io, { key, chat: TIMELINE_CHAT, body: { type: "text", text }, replyTo: remoteId }),
  boost: (creds, io, remoteId) => mark(creds, io, remoteId, "app.bsky.feed.repost"),
  like: (creds, io, remoteId) => mark(creds, io, remoteId, "app.bsky.feed.like"),
} satisfies SocialActions<Creds>;
