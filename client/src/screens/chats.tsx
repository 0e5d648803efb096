// The chat list: every conversation across sources, newest first. Part of the first
// route, so it renders straight from the IndexedDB snapshot without waiting for the network.
// A long-press (or right-click) on a row offers mute, archive and delete (a lazy chunk).
import { signal, useSignal } from "@preact/signals";
import type { ComponentType } from "preact";
import { formatTime, t } from "../i18n";
import { chatPrefs } from "../state/chat-prefs";
import { archivedConversations, conversationsLoaded, sourceFilter, sources, visibleConversations } from "../state/conversations";
import { groupByConv, groupTicks, memberName } from "../state/groups";
import { me } from "../state/session";
import type { ConversationSummary } from "../state/types";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon, Ticks } from "../ui/icons";
import { useLongPress } from "../ui/long-press";
import { previewOf, sourceBadge, sourceName } from "../ui/preview";

type MenuProps = { c: ConversationSummary; onClose: () => void };
/** The row menu's component, once its chunk has loaded. */
const RowMenu = signal<ComponentType<MenuProps> | null>(null);
const menuFor = signal<ConversationSummary | null>(null);

function openMenu(c: ConversationSummary): void {
  menuFor.value = c;
  if (!RowMenu.value) void import("./chat-menu").then((m) => (RowMenu.value = m.default));
}

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
        <a href="/compose" class="icon-button" aria-label={t("chats.newPost")} title={t("chats.newPost")} data-new-post>
          <Icon name="edit" />
        </a>
        <a href="/groups/new" class="icon-button" aria-label={t("chats.newGroup")} data-new-group>
          <Icon name="group" />
        </a>
      </header>
      <SourceChips />
      <p id="row-menu-hint" class="sr-only">{t("chats.menuHint")}</p>
      <ChatList />
      {menuFor.value && RowMenu.value && <RowMenu.value c={menuFor.value} onClose={() => (menuFor.value = null)} />}
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
  const archived = archivedConversations.value;
  if (list.length === 0 && archived.length === 0) {
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
      {archived.length > 0 && <Archived list={archived} />}
    </ul>
  );
}

/** Archived chats sit behind one row at the end; their unread messages are counted there. */
function Archived({ list }: { list: ConversationSummary[] }) {
  const open = useSignal(false);
  const unread = list.reduce((n, c) => n + c.unread, 0);
  return (
    <>
      <li>
        <button type="button" class="row archived-toggle" aria-expanded={open.value} onClick={() => (open.value = !open.value)} data-archived-count={list.length}>
          <span class="avatar archive-avatar" aria-hidden="true"><Icon name="archive" /></span>
          <span class="lines"><span class="title">{t("chats.archived", { n: list.length })}</span></span>
          {unread > 0 && <span class="badge muted-badge" aria-label={t("chats.unread", { n: unread })}>{unread}</span>}
        </button>
      </li>
      {open.value && list.map((c) => <ChatRow key={c.id} c={c} />)}
    </>
  );
}

function SourceBadge({ source }: { source: string }) {
  const b = sourceBadge(source);
  return (
    <span class="source-badge" data-source={source} data-network={b.network} aria-label={b.label} title={b.label}>
      {b.text}
    </span>
  );
}

/** In a group, whose the last message is: "Bob: ". */
function senderPrefix(c: ConversationSummary): string {
  if (c.kind !== "group" || !c.last) return "";
  const name = memberName(groupByConv(c.id), c.last.from);
  return name ? t("chats.from", { name }) : "";
}

function ChatRow({ c }: { c: ConversationSummary }) {
  const self = me.value?.id ?? "";
  const own = c.last && c.last.from === self;
  const group = c.kind === "group" ? groupByConv(c.id) : undefined;
  const state = own ? groupTicks(c.last?.state ?? "sent", c.kind === "group" ? (group ?? { members: [] }) : undefined, c.last?.readBy, self) : undefined;
  const muted = !!chatPrefs.value[c.id]?.muted;
  const href = `/chat/${encodeURIComponent(c.id)}`;
  const press = useLongPress(() => openMenu(c));
  return (
    <li>
      <a class="row" href={href} data-conv={c.id} data-muted={muted || undefined} aria-describedby="row-menu-hint" {...press}>
        {c.kind === "group" ? <GroupAvatar id={c.group ?? c.id} /> : <Avatar id={c.peer?.id ?? c.id} name={c.title} />}
        <span class="lines">
          <span class="line1">
            <span class="title">{c.title}</span>
            {c.last && <time dateTime={new Date(c.last.at).toISOString()}>{formatTime(c.last.at)}</time>}
          </span>
          <span class="line2">
            <SourceBadge source={c.source} />
            {c.kind === "group" && <span class="source-badge group-badge">{c.ended ? t("chats.groupEnded") : c.left ? t("chats.groupLeft") : t("chats.group")}</span>}
            {state && (
              <span class="state" data-state={state}>
                <Ticks state={state} />
                <span class="sr-only">{t(`state.${state}` as "state.sent")}</span>
              </span>
            )}
            <span class="preview">{c.last ? (own ? t("chats.you") : senderPrefix(c)) + previewOf(c.last.body) : ""}</span>
            {muted && <span class="muted-icon" role="img" aria-label={t("chats.muted")}><Icon name="mute" size={16} /></span>}
            {c.unread > 0 && <span class={muted ? "badge muted-badge" : "badge"} aria-label={t("chats.unread", { n: c.unread })}>{c.unread}</span>}
          </span>
        </span>
      </a>
    </li>
  );
}

