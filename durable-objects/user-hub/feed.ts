// The Social tab's feed: posts from the user's social networks and feeds, pushed as `post`
// events the moment a link brings them, deduped by (account, remote id), paged over HTTP.
import { newId } from "../../core/ids";
import type { Account, Post } from "../../core/protocol";
import { type RemotePost, TIMELINE } from "../../worker/connectors/types";
import type { Accounts } from "./accounts";
import type { RemoteSends } from "./remote-send";
import type { Hub } from "./context";

export class Feed {
  constructor(
    private hub: Hub,
    accounts: Accounts,
    sends: RemoteSends,
  ) {
    accounts.handle("post", (account, ev) => {
      if (ev.type === "post") this.add(account, ev.post);
    });
    // A post of ours that a network took shows in the feed at once; when the network's
    // timeline brings it back later, the (account, remote id) is known and it is not doubled.
    sends.onSent(({ account, chat, body, result, replyTo }) => {
      if (chat !== TIMELINE) return;
      const text = body.type === "text" ? body.text : "caption" in body ? (body.caption ?? "") : "";
      this.add(account, { remoteId: result.remoteId, kind: "status", author: { id: account.remote, name: account.label }, text, ...(result.url ? { url: result.url } : {}), at: result.at, ...("media" in body ? { media: [body.media] } : {}), ...(replyTo ? { inReplyTo: replyTo } : {}) }, "own");
    });
  }

  add(account: Account, remote: RemotePost, kind: Post["kind"] = remote.kind): Post | undefined {
    if (this.hub.store.posts.has(account.id, remote.remoteId)) return undefined;
    const post: Post = {
      id: newId("p"),
      account: account.id,
      network: account.network,
      kind,
      author: remote.author,
      text: remote.text,
      ...(remote.url ? { url: remote.url } : {}),
      ...(remote.media?.length ? { media: remote.media } : {}),
      at: remote.at,
      ...(remote.inReplyTo ? { inReplyTo: remote.inReplyTo } : {}),
      remoteId: remote.remoteId,
    };
    this.hub.events.append({ type: "post", post }, () => this.hub.store.posts.add(post));
    return post;
  }

  page(account: string | undefined, before: number | undefined, limit: number) {
    return this.hub.store.posts.page(account, before, limit);
  }
}
