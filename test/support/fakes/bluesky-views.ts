// The AppView's hydrated views (lexicons app.bsky.actor.defs, app.bsky.feed.defs,
// app.bsky.notification.listNotifications): what getTimeline, listNotifications and
// getProfile return. Every response is checked against its Lexicon output schema before
// it leaves the fake, so a view that drifts from the Lexicon fails loudly (500).
import { type AccountRow, type BlueskyState, LIKE, POST, REPOST, type RecordRow, type NotificationRow } from "./bluesky-state";

type StrongRef = { uri: string; cid: string };

export class Views {
  constructor(private state: BlueskyState, private origin: () => string) {}

  profileBasic(a: AccountRow) {
    return { did: a.did, handle: a.handle, displayName: a.displayName, labels: [], createdAt: a.createdAt };
  }

  profile(a: AccountRow) {
    return { ...this.profileBasic(a), description: "", indexedAt: a.createdAt };
  }

  profileDetailed(a: AccountRow, viewer: string) {
    const following = this.state.recordsOf(viewer, "app.bsky.graph.follow").find((r) => r.value.subject === a.did);
    const followedBy = this.state.recordsOf(a.did, "app.bsky.graph.follow").find((r) => r.value.subject === viewer);
    return {
      ...this.profile(a),
      followersCount: this.state.followers(a.did),
      followsCount: this.state.follows(a.did).size,
      postsCount: this.state.recordsOf(a.did, POST).length,
      viewer: { muted: false, blockedBy: false, ...(following ? { following: following.uri } : {}), ...(followedBy ? { followedBy: followedBy.uri } : {}) },
    };
  }

  post(r: RecordRow, viewer: string) {
    const counts = this.state.counts(r.uri);
    const mine = (collection: string) => this.state.recordsOf(viewer, collection).find((x) => (x.value.subject as StrongRef).uri === r.uri)?.uri;
    const like = mine(LIKE);
    const repost = mine(REPOST);
    const embed = this.embed(r);
    return {
      uri: r.uri,
      cid: r.cid,
      author: this.profileBasic(this.state.accounts.get(r.did)!),
      record: r.value,
      ...(embed ? { embed } : {}),
      replyCount: counts.replies,
      repostCount: counts.reposts,
      likeCount: counts.likes,
      quoteCount: counts.quotes,
      bookmarkCount: 0,
      indexedAt: r.indexedAt,
      viewer: { ...(like ? { like } : {}), ...(repost ? { repost } : {}), threadMuted: false, embeddingDisabled: false },
      labels: [],
    };
  }

  feedItem(item: { record: RecordRow; post: RecordRow }, viewer: string) {
    const reply = item.post.value.reply as { root: StrongRef; parent: StrongRef } | undefined;
    return {
      post: this.post(item.post, viewer),
      ...(reply ? { reply: { root: this.refView(reply.root.uri, viewer), parent: this.refView(reply.parent.uri, viewer) } } : {}),
      ...(item.record.collection === REPOST
        ? { reason: { $type: "app.bsky.feed.defs#reasonRepost", by: this.profileBasic(this.state.accounts.get(item.record.did)!), uri: item.record.uri, cid: item.record.cid, indexedAt: item.record.indexedAt } }
        : {}),
    };
  }

  notification(n: NotificationRow, seenAt: string | null) {
    const r = this.state.records.get(n.uri)!;
    return {
      uri: r.uri,
      cid: r.cid,
      author: this.profile(this.state.accounts.get(r.did)!),
      reason: n.reason,
      ...(n.reasonSubject ? { reasonSubject: n.reasonSubject } : {}),
      record: r.value,
      isRead: seenAt !== null && n.indexedAt <= seenAt,
      indexedAt: n.indexedAt,
      labels: [],
    };
  }

  private refView(uri: string, viewer: string) {
    const r = this.state.records.get(uri);
    return r ? { $type: "app.bsky.feed.defs#postView", ...this.post(r, viewer) } : { $type: "app.bsky.feed.defs#notFoundPost", uri, notFound: true };
  }

  /** Image and external embeds get their #view; other embed kinds are left out of the view. */
  private embed(r: RecordRow) {
    const embed = r.value.embed as { $type?: string; images?: { image: { ref: { $link: string } }; alt: string; aspectRatio?: unknown }[]; external?: { uri: string; title: string; description: string } } | undefined;
    const img = (kind: string, link: string) => `${this.origin()}/img/${kind}/plain/${r.did}/${link}@jpeg`;
    if (embed?.$type === "app.bsky.embed.images")
      return {
        $type: "app.bsky.embed.images#view",
        images: embed.images!.map((i) => ({ thumb: img("feed_thumbnail", i.image.ref.$link), fullsize: img("feed_fullsize", i.image.ref.$link), alt: i.alt, ...(i.aspectRatio ? { aspectRatio: i.aspectRatio } : {}) })),
      };
    if (embed?.$type === "app.bsky.embed.external") return { $type: "app.bsky.embed.external#view", external: { uri: embed.external!.uri, title: embed.external!.title, description: embed.external!.description } };
    return undefined;
  }
}
