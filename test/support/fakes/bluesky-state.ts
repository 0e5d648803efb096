// What the PDS and the AppView behind it know: accounts, each repo's records, uploaded
// blobs, and the AppView's indexes derived from records — follows, the following timeline
// and notifications (packages/bsky/src/data-plane/server/indexing/plugins/*.ts: a mention
// facet, a quote embed and the ancestors of a reply each notify once, never the author;
// a like or repost notifies the subject's author with the subject as reasonSubject).
import type { BlobRow } from "./bluesky-records";

export type AccountRow = { did: string; handle: string; email: string; appPasswords: Map<string, string>; displayName: string; createdAt: string; seenAt: string | null };
export type RecordRow = { uri: string; cid: string; did: string; collection: string; rkey: string; value: Record<string, unknown>; indexedAt: string; at: number };
export type NotificationRow = { recipient: string; reason: string; reasonSubject?: string; uri: string; at: number; indexedAt: string };

export const POST = "app.bsky.feed.post";
export const LIKE = "app.bsky.feed.like";
export const REPOST = "app.bsky.feed.repost";
export const FOLLOW = "app.bsky.graph.follow";

type StrongRef = { uri: string; cid: string };

export class BlueskyState {
  readonly accounts = new Map<string, AccountRow>();
  readonly records = new Map<string, RecordRow>();
  readonly blobs = new Map<string, Map<string, BlobRow>>();
  notifications: NotificationRow[] = [];

  account(handleOrDid: string): AccountRow | undefined {
    if (handleOrDid.startsWith("did:")) return this.accounts.get(handleOrDid);
    for (const a of this.accounts.values()) if (a.handle === handleOrDid.toLowerCase()) return a;
    return undefined;
  }

  byIdentifier(identifier: string): AccountRow | undefined {
    for (const a of this.accounts.values()) if (a.email === identifier.toLowerCase()) return a;
    return this.account(identifier.replace(/^@/, ""));
  }

  recordsOf(did: string, collection: string): RecordRow[] {
    return [...this.records.values()].filter((r) => r.did === did && r.collection === collection);
  }

  follows(did: string): Set<string> {
    return new Set(this.recordsOf(did, FOLLOW).map((r) => String(r.value.subject)));
  }

  followers(did: string): number {
    return [...this.records.values()].filter((r) => r.collection === FOLLOW && r.value.subject === did).length;
  }

  put(row: RecordRow): void {
    this.records.set(row.uri, row);
    for (const n of this.notificationsFor(row)) this.notifications.push(n);
  }

  delete(uri: string): void {
    this.records.delete(uri);
    this.notifications = this.notifications.filter((n) => n.uri !== uri);
  }

  /** Backlink conflicts: a second like, repost or follow of the same subject replaces the first. */
  conflicts(did: string, collection: string, value: Record<string, unknown>): string[] {
    if (collection !== LIKE && collection !== REPOST && collection !== FOLLOW) return [];
    const subject = (v: Record<string, unknown>) => (collection === FOLLOW ? v.subject : (v.subject as StrongRef | undefined)?.uri);
    return this.recordsOf(did, collection).filter((r) => subject(r.value) === subject(value)).map((r) => r.uri);
  }

  /** The "following" timeline: posts by the viewer and those they follow, and their reposts. */
  timeline(viewer: string): { record: RecordRow; post: RecordRow }[] {
    const authors = this.follows(viewer).add(viewer);
    const items: { record: RecordRow; post: RecordRow }[] = [];
    for (const r of this.records.values()) {
      if (!authors.has(r.did)) continue;
      if (r.collection === POST) items.push({ record: r, post: r });
      if (r.collection === REPOST) {
        const post = this.records.get((r.value.subject as StrongRef).uri);
        if (post) items.push({ record: r, post });
      }
    }
    return items;
  }

  counts(postUri: string): { likes: number; reposts: number; replies: number; quotes: number } {
    let likes = 0, reposts = 0, replies = 0, quotes = 0;
    for (const r of this.records.values()) {
      if (r.collection === LIKE && (r.value.subject as StrongRef).uri === postUri) likes++;
      if (r.collection === REPOST && (r.value.subject as StrongRef).uri === postUri) reposts++;
      if (r.collection === POST && (r.value.reply as { parent: StrongRef } | undefined)?.parent.uri === postUri) replies++;
      if (r.collection === POST && embeddedUri(r.value) === postUri) quotes++;
    }
    return { likes, reposts, replies, quotes };
  }

  private notificationsFor(row: RecordRow): NotificationRow[] {
    const out: NotificationRow[] = [];
    const notified = new Set([row.did]);
    const notify = (recipient: string, reason: string, reasonSubject?: string) => {
      if (notified.has(recipient) || !this.accounts.has(recipient)) return;
      notified.add(recipient);
      out.push({ recipient, reason, reasonSubject, uri: row.uri, at: row.at, indexedAt: row.indexedAt });
    };
    const v = row.value;
    if (row.collection === LIKE || row.collection === REPOST) {
      const subject = (v.subject as StrongRef).uri;
      notify(didOf(subject), row.collection === LIKE ? "like" : "repost", subject);
    } else if (row.collection === FOLLOW) {
      notify(String(v.subject), "follow");
    } else if (row.collection === POST) {
      for (const facet of (v.facets as { features: { $type?: string; did?: string }[] }[] | undefined) ?? [])
        for (const f of facet.features) if (f.$type === "app.bsky.richtext.facet#mention" && f.did) notify(f.did, "mention");
      const quoted = embeddedUri(v);
      if (quoted?.includes(`/${POST}/`)) notify(didOf(quoted), "quote", quoted);
      for (const ancestor of this.ancestors(v)) notify(didOf(ancestor), "reply", ancestor);
    }
    return out;
  }

  /** The parent and its parents, up to the AppView's REPLY_NOTIF_DEPTH of 5. */
  private ancestors(post: Record<string, unknown>): string[] {
    const out: string[] = [];
    let parent = (post.reply as { parent: StrongRef } | undefined)?.parent.uri;
    while (parent && out.length < 5) {
      out.push(parent);
      parent = (this.records.get(parent)?.value.reply as { parent: StrongRef } | undefined)?.parent.uri;
    }
    return out;
  }
}

export const didOf = (uri: string) => uri.slice("at://".length).split("/")[0]!;

function embeddedUri(v: Record<string, unknown>): string | undefined {
  const embed = v.embed as { $type?: string; record?: { uri?: string; record?: { uri?: string } } } | undefined;
  if (embed?.$type === "app.bsky.embed.record") return embed.record?.uri;
  if (embed?.$type === "app.bsky.embed.recordWithMedia") return embed.record?.record?.uri;
  return undefined;
}
