// Acting on a post of the feed: reply, boost, like, through the account the post came from.
// A reply is a send like any post (queued, retried, `status` sent with its link or failed
// with the reason, idempotent by client id); boost and like are one call to the link whose
// answer the user waits for, since the network makes them idempotent itself (twice is once).
import { refusal, type Result } from "../../core/errors";
import type { Body, Post } from "../../core/protocol";
import { linkOf } from "../stubs";
import { type Hub, Refused } from "./context";
import type { RemoteSends } from "./remote-send";
import type { Accepted } from "./sends";

export class FeedActions {
  constructor(
    private hub: Hub,
    private sends: RemoteSends,
  ) {}

  /** `send {to:{post}}`: a reply under the post, on its account's timeline. */
  reply(clientId: string, to: { post: string; split?: boolean }, body: Body): Accepted {
    const post = this.hub.store.posts.get(to.post);
    if (!post) throw new Refused("post_not_found", "no such post in your feed");
    return this.sends.reply(clientId, post.account, post.remoteId, body, to.split);
  }

  /** Boost or like: the link asks the network, then the post remembers it and every device hears. */
  async act(postId: string, action: "boost" | "like"): Promise<Result<{ url?: string }>> {
    const post = this.hub.store.posts.get(postId);
    if (!post) return refusal("post_not_found");
    const account = this.hub.store.accounts.get(post.account);
    if (!account || account.removed) return refusal("account_removed", "the account this post came through was removed");
    const result = await linkOf(this.hub.env, account.id).act(action, post.remoteId);
    if (!result.ok) return refusal(result.code, result.message, result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {});
    this.remember(post, action, result.url);
    return { ok: true, ...(result.url ? { url: result.url } : {}) };
  }

  private remember(post: Post, action: "boost" | "like", url: string | undefined): void {
    // Read again: the post may have changed while the network answered.
    const now = this.hub.store.posts.get(post.id) ?? post;
    const marked: Post = { ...now, ...(action === "boost" ? { boosted: true } : { liked: true }) };
    this.hub.events.append({ type: "post.acted", post: post.id, action, ...(url ? { url } : {}), at: Date.now() }, () => this.hub.store.posts.update(marked));
  }
}
