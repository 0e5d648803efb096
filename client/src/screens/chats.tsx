// The chat list: every conversation across sources, newest first. Part of the first
// route, so it renders straight from the IndexedDB snapshot without waiting for the network.
import { formatTime, t } from "../i18n";
import { conversationsLoaded, sourceFilter, sources, visibleConversations } from "../state/conversations";
import { groupByConv, memberName } from "../state/groups";
import { me } from "../state/session";
import type { ConversationSummary } from "../state/types";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon, Ticks } from "../ui/icons";
import { previewOf, sourceName } from "../ui/preview";

export function Chats() {
  return (
    <section class="screen" aria-labelledby="chats-title">
      <header class="topbar">
        <h1 id="chats-title">{t("chats.title")}</h1>
        <a href="/search" class="icon-button end" aria-label={t("search.title")} data-search>
          <Icon name="search" />
        </a>
        <a href="/broadcast" class="icon-button" aria-label={t("broadcast.title")} data-broadcast>
          <Icon name="broadcast" />
        </a>
        <a href="/groups/new" class="icon-button" aria-label={t("chats.newGroup")} data-new-group>
          <Icon name="group" />
        </a>
      </header>
      <SourceChips />
      <ChatList />
    </section>
  );
}

function SourceChips() {
  const all = sources.value;
  if (all.length === 0) return null;
  const current = sourceFilter.value;
  const chip = (value: string | null, label: string) => (
    <button type="button" class="chip" aria-pressed={current === value} onClick={() => (sourceFilter.value = value)}>
      {label}
    </button>
  );
  return (
    <div class="chips" role="group" aria-label={t("chats.filter")}>
      {chip(null, t("chats.all"))}
      {all.map((s) => chip(s, sourceName(s)))}
    </div>
  );
}

function ChatList() {
  if (!conversationsLoaded.value) {
    return (
      <ul class="list" aria-busy="true" aria-label={t("chats.loading")}>
        {[0, 1, 2, 3, 4].map((i) => (
          <li key={i} class="row skeleton" aria-hidden="true">
            <span class="avatar" />
            <span class="lines"><span /><span /></span>
          </li>
        ))}
      </ul>
    );
  }
  const list = visibleConversations.value;
  if (list.length === 0) {
    return (
      <div class="empty">
        <h2>{t("chats.empty.title")}</h2>
        <p>{t("chats.empty.body")}</p>
        <a class="button primary" href="/contacts">{t("chats.empty.action")}</a>
      </div>
    );
  }
  return (
    <ul class="list" aria-labelledby="chats-title">
      {list.map((c) => (
        <ChatRow key={c.id} c={c} />
      ))}
    </ul>
  );
}

/** In a group, whose the last message is: "Bob: ". */
function senderPrefix(c: ConversationSummary): string {
  if (c.kind !== "group" || !c.last) return "";
  const name = memberName(groupByConv(c.id), c.last.from);
  return name ? t("chats.from", { name }) : "";
}

function ChatRow({ c }: { c: ConversationSummary }) {
  const own = c.last && c.last.from === me.value?.id;
  const state = own ? (c.last?.state ?? "sent") : undefined;
  const href = `/chat/${encodeURIComponent(c.id)}`;
  return (
    <li>
      <a class="row" href={href} data-conv={c.id}>
        {c.kind === "group" ? <GroupAvatar id={c.group ?? c.id} /> : <Avatar id={c.peer?.id ?? c.id} name={c.title} />}
        <span class="lines">
          <span class="line1">
            <span class="title">{c.title}</span>
            {c.last && <time dateTime={new Date(c.last.at).toISOString()}>{formatTime(c.last.at)}</time>}
          </span>
          <span class="line2">
            <span class="source-badge" data-source={c.source}>{sourceName(c.source)}</span>
            {c.kind === "group" && <span class="source-badge group-badge">{c.ended ? t("chats.groupEnded") : c.left ? t("chats.groupLeft") : t("chats.group")}</span>}
            {state && <Ticks state={state} />}
            <span class="preview">{c.last ? (own ? t("chats.you") : senderPrefix(c)) + previewOf(c.last.body) : ""}</span>
            {c.unread > 0 && <span class="badge" aria-label={t("chats.unread", { n: c.unread })}>{c.unread}</span>}
          </span>
        </span>
      </a>
    </li>
  );
}

