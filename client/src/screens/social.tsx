// The Social tab: one feed across the bound networks and feeds, newest first, each post with
// its network's badge, author, text, pictures and a link out; reply, boost/repost and like
// where its network has them. New posts wait behind an "N new posts" pill at the top, so
// what the user is reading never moves; the composer above posts "To:" networks by name.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { formatTime, t } from "../i18n";
import { errorText } from "../i18n/errors";
import { accountById } from "../state/accounts";
import { ApiFailure } from "../state/api";
import { actOn, feedState, loadFeed, loadNetworkInfo, loadOlderPosts, networkInfo, newPosts, type Post, posts, restoreCards, showNewPosts } from "../state/social";
import { Icon } from "../ui/icons";
import { NETWORKS, networkName, replyMentions, shareWord } from "../ui/networks";
import { PostCards, PostComposer } from "./social-compose";

export default function Social() {
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => {
    void loadFeed();
    void loadNetworkInfo().catch(() => undefined);
    void restoreCards();
  }, []);
  const reveal = () => {
    showNewPosts();
    scroller.current?.scrollTo?.({ top: 0, behavior: "smooth" });
  };
  return (
    <section class="screen social" aria-labelledby="social-title">
      <header class="topbar">
        <h1 id="social-title">{t("social.title")}</h1>
      </header>
      <div class="scroll social-scroll" ref={scroller}>
        <PostComposer />
        <PostCards />
        <NewPostsPill onShow={reveal} />
        <FeedList root={scroller} />
      </div>
    </section>
  );
}

function NewPostsPill({ onShow }: { onShow: () => void }) {
  const n = newPosts.value.length;
  if (n === 0) return null;
  return (
    <button type="button" class="new-posts" onClick={onShow} data-new-posts={n}>
      {n === 1 ? t("social.newPost") : t("social.newPosts", { n })}
    </button>
  );
}

function FeedList({ root }: { root: { current: HTMLDivElement | null } }) {
  const end = useRef<HTMLDivElement>(null);
  const state = feedState.value;
  // Older pages load as the end of the list comes into view.
  useEffect(() => {
    const el = end.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void loadOlderPosts(), { root: root.current, rootMargin: "0px 0px 400px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, [state.loaded]);

  if (!state.loaded) {
    if (state.error) {
      return (
        <div class="empty" role="alert">
          <p>{t("social.loadFailed")}</p>
          <button type="button" class="button" onClick={() => void loadFeed()}>{t("social.retryLoad")}</button>
        </div>
      );
    }
    return <p class="empty small" role="status" aria-busy="true">{t("social.loading")}</p>;
  }
  const list = posts.value;
  if (list.length === 0) {
    return (
      <div class="empty">
        <h2>{t("social.empty.title")}</h2>
        <p>{t("social.empty.body")}</p>
        <a class="button primary" href="/accounts/new">{t("social.empty.action")}</a>
      </div>
    );
  }
  return (
    <>
      <ol class="feed" aria-labelledby="social-title">
        {list.map((p) => (
          <PostItem key={p.id} post={p} />
        ))}
      </ol>
      <div ref={end} class="feed-end">
        {state.loading ? <p class="muted" role="status">{t("social.older")}</p> : state.before === null ? <p class="muted">{t("social.end")}</p> : null}
      </div>
    </>
  );
}

const KIND_KEY = { mention: "social.kind.mention", reply: "social.kind.reply", dm: "social.kind.dm", boost: "social.kind.boost", own: "social.kind.own" } as const;

function PostItem({ post }: { post: Post }) {
  const replying = useSignal(false);
  const failed = useSignal("");
  const actions = networkInfo.value[post.network]?.actions ?? [];
  const account = accountById(post.account);
  const badge = NETWORKS[post.network]?.badge ?? post.network;
  const share = shareWord(post.network);
  const kind = post.kind in KIND_KEY ? KIND_KEY[post.kind as keyof typeof KIND_KEY] : undefined;
  const act = async (action: "boost" | "like") => {
    failed.value = "";
    try {
      await actOn(post, action);
    } catch (err) {
      const reason = err instanceof ApiFailure ? errorText(err) : String(err);
      failed.value = t("social.actFailed", { action: t(action === "like" ? "social.like" : share === "repost" ? "social.repost" : "social.boost"), reason });
    }
  };
  return (
    <li class="post" data-post={post.id} data-network={post.network} data-kind={post.kind}>
      <header class="post-head">
        <span class="source-badge" data-network={post.network}>{badge}</span>
        <span class="post-author">{post.author.name}</span>
        {post.author.id.startsWith("@") && <span class="muted post-handle">{post.author.id}</span>}
        {kind && <span class="post-kind muted">{t(kind)}</span>}
        <time class="muted" dateTime={new Date(post.at).toISOString()}>{formatTime(post.at)}</time>
      </header>
      {post.text && <p class="post-text">{post.text}</p>}
      {post.media && post.media.length > 0 && (
        <div class="post-media">
          {post.media.map((id, i) => (
            <img key={id} src={`/api/media/${encodeURIComponent(id)}`} alt={t("social.media", { n: i + 1 })} loading="lazy" decoding="async" width={160} height={120} />
          ))}
        </div>
      )}
      <footer class="post-actions">
        {actions.includes("reply") && account && (
          <button type="button" class="post-action" aria-expanded={replying.value} onClick={() => (replying.value = !replying.value)}>
            <Icon name="reply" size={18} /> <span>{t("social.reply")}</span>
          </button>
        )}
        {actions.includes("boost") && (
          <button type="button" class="post-action" aria-pressed={post.boosted === true} onClick={() => void act("boost")} data-action="boost">
            <Icon name="boost" size={18} /> <span>{t(share === "repost" ? (post.boosted ? "social.reposted" : "social.repost") : post.boosted ? "social.boosted" : "social.boost")}</span>
          </button>
        )}
        {actions.includes("like") && (
          <button type="button" class="post-action" aria-pressed={post.liked === true} onClick={() => void act("like")} data-action="like">
            <Icon name="like" size={18} /> <span>{t(post.liked ? "social.liked" : "social.like")}</span>
          </button>
        )}
        {post.url && /^https?:\/\//.test(post.url) && (
          <a class="post-action post-link" href={post.url} target="_blank" rel="noopener noreferrer">
            <Icon name="external" size={18} /> <span>{t("social.open", { network: networkName(post.network) })}</span>
          </a>
        )}
      </footer>
      {failed.value && <p class="field-error" role="alert">{failed.value}</p>}
      {replying.value && account && (
        <PostComposer replyTo={post.id} account={account} initial={replyMentions(post.network) && post.author.id.startsWith("@") ? `${post.author.id} ` : ""} autoFocus onDone={() => (replying.value = false)} />
      )}
    </li>
  );
}
