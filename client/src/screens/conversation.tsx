// One conversation, direct or group: bubbles grouped by day and sender, receipts on own
// messages (in a group, how many of the members have read them), older pages on scroll
// up, a long-press menu on each message, "typing…" in a 1:1 header, and a composer that
// queues into the outbox (works offline). An ended or left group is read-only.
import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { useRoute } from "preact-iso";
import { Composer } from "../chat/composer";
import { MessageBody } from "../chat/message-body";
import { MessageMenu } from "../chat/message-menu";
import { formatDay, t } from "../i18n";
import { errorMessage, errorText } from "../i18n/errors";
import { en } from "../i18n/en";
import { remoteOf } from "../../../core/conversation";
import { accountById, accountContacts, accountsLoaded } from "../state/accounts";
import { sendFrame } from "../state/connection";
import { type RemoteNotice, remoteNotices } from "../state/notices";
import { NETWORKS } from "../ui/networks";
import { isShown } from "../state/chat-prefs";
import { conversations } from "../state/conversations";
import { friends, presenceOf } from "../state/friends";
import { type ClientGroup, type GroupNotice, groupByConv, groupIdOf, groupTicks, memberName, readCount } from "../state/groups";
import { canRetry, discard, pendingByConv } from "../state/outbox";
import { me } from "../state/session";
import { activeConv, markRead } from "../state/sync";
import { loadOlder, openThread, threadOf } from "../state/threads";
import { typingIn } from "../state/typing";
import type { Body, DeliveryState, OutboxItem, StoredMessage } from "../state/types";
import { retryMessage } from "../state/uploads";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon, Ticks } from "../ui/icons";
import { useLongPress } from "../ui/long-press";

export type MsgRow = {
  kind: "msg"; id: string; from: string; at: number; body: Body; state?: DeliveryState; item?: OutboxItem; readBy?: string[];
  /** On bound accounts: the sender's name, a failure's reason, a post's URL. */
  name?: string; failure?: StoredMessage["failure"]; url?: string;
};
type Row =
  | MsgRow
  | { kind: "notice"; id: string; at: number; notice: GroupNotice | RemoteNotice };

export default function Conversation() {
  const { params, query } = useRoute();
  const conv = decodeURIComponent(params.conv ?? "");
  const summary = useComputed(() => conversations.value.find((c) => c.id === conv));
  const groupId = groupIdOf(conv);

  useEffect(() => {
    activeConv.value = conv;
    void openThread(conv).then(() => markRead(conv));
    const onVisible = () => document.visibilityState === "visible" && markRead(conv);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      if (activeConv.value === conv) activeConv.value = null;
    };
  }, [conv]);

  if (groupId) {
    const group = groupByConv(conv);
    const s = summary.value;
    const title = s?.title || group?.name || "";
    const ended = s?.ended ?? group?.endReason ?? (group?.endedAt ? "ended" : undefined);
    const left = s?.left || group?.left;
    return (
      <section class="screen conversation" aria-label={title}>
        <header class="topbar conv-top">
          <BackLink />
          <GroupAvatar id={groupId} size={36} />
          <div class="conv-title">
            <h1>{title}</h1>
            {group && <span class="muted">{t("group.members", { n: group.members.length })}</span>}
          </div>
          <a href={`/group/${encodeURIComponent(groupId)}`} class="icon-button end" aria-label={t("group.info")}>
            <Icon name="info" />
          </a>
        </header>
        <MessageList conv={conv} group={group ?? null} />
        {ended || left ? (
          <p class="readonly-banner" role="status" data-readonly={ended ? "ended" : "left"}>
            {ended ? t(ended === "ttl" ? "group.expiredBanner" : "group.endedBanner") : t("group.leftBanner")}
          </p>
        ) : (
          <Composer conv={conv} to={groupId} />
        )}
      </section>
    );
  }

  const remote = remoteOf(conv);
  if (remote) return <RemoteConversation conv={conv} account={remote.account} chat={remote.chat} title={summary.value?.title} />;

  const peerId = summary.value?.peer?.id ?? query.to;
  const friend = friends.value.find((f) => f.user.id === peerId);
  // "…" is the list's placeholder for a peer it has not heard of yet; a friend's name is better.
  const listed = summary.value?.title;
  const title = (listed && listed !== "…" ? listed : undefined) ?? friend?.user.displayName ?? summary.value?.peer?.displayName ?? listed ?? "";
  const online = friend ? presenceOf(friend) : undefined;
  const typing = peerId !== undefined && typingIn.value.get(conv) === peerId;
  if (!peerId) {
    return (
      <section class="screen">
        <header class="topbar conv-top"><BackLink /></header>
        <p class="empty">{t("conv.notFound")}</p>
      </section>
    );
  }
  return (
    <section class="screen conversation" aria-label={title}>
      <header class="topbar conv-top">
        <BackLink />
        <Avatar id={peerId} name={title} size={36} online={online} />
        <div class="conv-title">
          <h1>{title}</h1>
          {typing ? (
            <span class="muted typing" data-typing="true">{t("conv.typing")}</span>
          ) : (
            online !== undefined && <span class="muted" data-presence={online ? "online" : "offline"}>{online ? t("conv.online") : t("conv.offline")}</span>
          )}
        </div>
      </header>
      <MessageList conv={conv} group={null} />
      <Composer conv={conv} to={peerId} />
    </section>
  );
}

/** A conversation on a bound account: the network and account in the header, the contact's presence, notices. */
function RemoteConversation({ conv, account: accountId, chat, title }: { conv: string; account: string; chat: string; title?: string }) {
  const account = accountById(accountId);
  const contact = accountContacts.value[accountId]?.find((c) => c.id === chat);
  const name = title || contact?.name || chat;
  const removed = accountsLoaded.value && !account;
  return (
    <section class="screen conversation" aria-label={name} data-remote={accountId}>
      <header class="topbar conv-top">
        <BackLink />
        <Avatar id={conv} name={name} size={36} online={contact?.presence ? contact.presence === "online" : undefined} />
        <div class="conv-title">
          <h1>{name}</h1>
          <span class="muted">
            <span class="source-badge" data-network={account?.network}>{account ? NETWORKS[account.network]?.badge : t("conv.removedAccount")}</span> {account?.label}
            {contact?.presence ? ` · ${t(`presence.${contact.presence}` as "presence.online")}` : ""}
          </span>
        </div>
      </header>
      <MessageList conv={conv} group={null} notices={remoteNotices.value[conv] ?? []} remoteChat={chat} />
      {removed ? (
        <p class="readonly-banner" role="status" data-readonly="removed">{t("conv.accountRemoved")}</p>
      ) : (
        <Composer conv={conv} to={chat} />
      )}
    </section>
  );
}

function BackLink() {
  return (
    <a href="/" class="icon-button" aria-label={t("conv.back")}>
      <Icon name="back" />
    </a>
  );
}

function MessageList({ conv, group, notices, remoteChat }: { conv: string; group: ClientGroup | null; notices?: RemoteNotice[]; remoteChat?: string }) {
  const thread = threadOf(conv).value;
  const self = me.value?.id ?? "";
  const pending = pendingByConv.value.get(conv) ?? [];
  const rows: Row[] = withNotices(
    thread.messages.filter((m) => isShown(conv, m)).map((m: StoredMessage): Row => ({
      kind: "msg", id: m.id, from: m.from, at: m.at, body: m.body,
      ...(m.from === self ? { state: m.state ?? "sent", readBy: m.readBy, ...(m.failure ? { failure: m.failure } : {}), ...(m.url ? { url: m.url } : {}) } : {}),
      // In a room or channel on another network, bubbles say who wrote them.
      ...(remoteChat !== undefined && m.from !== self && m.from !== remoteChat && m.name ? { name: m.name } : {}),
    })),
    notices ?? group?.notices ?? [],
  );
  rows.push(...pending.map((i): Row => ({ kind: "msg", id: i.id, from: self, at: i.createdAt, body: i.body, state: i.error ? "failed" : "sending", item: i })));
  const scroller = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const scrolledUp = useSignal(false);
  const menuFor = useSignal<MsgRow | null>(null);

  // Older pages load when the top of the list comes into view. The list is laid out
  // bottom-up (column-reverse), so prepending keeps the reader's place without script.
  useEffect(() => {
    const el = top.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void loadOlder(conv), { root: scroller.current, rootMargin: "200px 0px 0px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, [conv]);

  // A message of our own always brings the view to the bottom.
  const lastOwn = rows.filter((r) => r.kind === "msg" && r.from === self).at(-1)?.id;
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [lastOwn]);

  return (
    <div class="messages-wrap">
      <div class="messages" ref={scroller} onScroll={(e) => (scrolledUp.value = (e.currentTarget as HTMLElement).scrollTop < -240)} role="log" aria-label={t("conv.messages")} tabIndex={0}>
        <div class="messages-inner">
          <div ref={top} class="older">
            {thread.before === null ? <p class="muted">{t("conv.start")}</p> : thread.loadingOlder ? <p class="muted" role="status">{t("conv.older")}</p> : null}
          </div>
          {thread.loaded && rows.length === 0 && <p class="empty small">{t("conv.empty")}</p>}
          <Bubbles rows={rows} self={self} group={group} onMenu={(r) => (menuFor.value = r)} />
        </div>
      </div>
      <p id="bubble-menu-hint" class="sr-only">{t("msg.menuHint")}</p>
      {menuFor.value && <MessageMenu conv={conv} row={menuFor.value} group={group} self={self} onClose={() => (menuFor.value = null)} />}
      {scrolledUp.value && (
        <button type="button" class="jump" onClick={() => scroller.current?.scrollTo({ top: 0, behavior: "smooth" })} aria-label={t("conv.latest")}>
          <Icon name="down" />
        </button>
      )}
    </div>
  );
}

/** Puts each notice before the first message newer than it; the messages keep the log's order. */
function withNotices(msgs: Row[], notices: (GroupNotice | RemoteNotice)[]): Row[] {
  if (notices.length === 0) return msgs;
  const out: Row[] = [];
  let n = 0;
  for (const m of msgs) {
    while (n < notices.length && notices[n]!.at < m.at) out.push({ kind: "notice", id: `notice-${n}`, at: notices[n]!.at, notice: notices[n++]! });
    out.push(m);
  }
  for (; n < notices.length; n++) out.push({ kind: "notice", id: `notice-${n}`, at: notices[n]!.at, notice: notices[n]! });
  return out;
}

const GROUP_GAP_MS = 5 * 60_000;

function Bubbles({ rows, self, group, onMenu }: { rows: Row[]; self: string; group: ClientGroup | null; onMenu: (r: MsgRow) => void }) {
  const out = [];
  let day = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const d = new Date(r.at).toDateString();
    if (d !== day) {
      day = d;
      out.push(<div class="day" role="separator" key={`day-${d}`}><span>{formatDay(r.at)}</span></div>);
    }
    if (r.kind === "notice") {
      out.push(<Notice key={r.id} n={r.notice} group={group} self={self} />);
      continue;
    }
    const prev = rows[i - 1];
    const next = rows[i + 1];
    const sameRun = (a: Row | undefined, b: Row) => a?.kind === "msg" && b.kind === "msg" && a.from === b.from && Math.abs(b.at - a.at) <= GROUP_GAP_MS && new Date(a.at).toDateString() === new Date(b.at).toDateString();
    const own = r.from === self;
    // In a group, the first bubble of someone else's run carries their name.
    const sender = !own && !sameRun(prev, r) ? (group ? (memberName(group, r.from) ?? friends.value.find((f) => f.user.id === r.from)?.user.displayName ?? "…") : r.kind === "msg" ? r.name : undefined) : undefined;
    out.push(<Bubble key={r.id} r={r} own={own} tail={!next || !sameRun(r, next)} sender={sender} group={group} self={self} onMenu={onMenu} />);
  }
  return <>{out}</>;
}

function Notice({ n, group, self }: { n: GroupNotice | RemoteNotice; group: ClientGroup | null; self: string }) {
  if ("key" in n) return <p class="notice" data-notice={n.key}>{noticeText(n)}</p>;
  const who = (id?: string) => (id === self ? t("group.you") : (id && memberName(group ?? undefined, id)) ?? "…");
  const text =
    n.kind === "joined" ? t("group.notice.joined", { name: who(n.user) })
    : n.kind === "left" ? t("group.notice.left", { name: who(n.user) })
    : n.kind === "ttl" ? t("group.notice.ttl")
    : t("group.notice.ended");
  return <p class="notice" data-notice={n.kind}>{text}</p>;
}

function Bubble({ r, own, tail, sender, group, self, onMenu }: { r: MsgRow; own: boolean; tail: boolean; sender?: string; group: ClientGroup | null; self: string; onMenu: (r: MsgRow) => void }) {
  const time = new Date(r.at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const kind = r.body.type === "text" ? "" : ` has-${r.body.type}`;
  // In a group, "read" waits for every member; until then the line says how many.
  const count = group && own && r.state && r.state !== "sending" && r.state !== "failed" ? readCount(group, r.readBy, self) : null;
  const state = r.state && group ? groupTicks(r.state, group, r.readBy, self) : r.state;
  const error = r.item?.error;
  // A send to another network the hub could not get through: why, and try again.
  const failure = !r.item && r.state === "failed" ? r.failure : undefined;
  const press = useLongPress(() => onMenu(r));
  return (
    <div
      class={`bubble ${own ? "own" : "theirs"}${tail ? " tail" : ""}${kind}`}
      data-msg={r.id}
      data-state={state}
      data-from={r.from}
      tabIndex={0}
      aria-describedby="bubble-menu-hint"
      {...press}
      onKeyDown={(e) => (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10")) && (e.preventDefault(), onMenu(r))}
    >
      {sender && <span class="sender">{sender}</span>}
      <MessageBody body={r.body} item={r.item} />
      <span class="meta">
        <time dateTime={new Date(r.at).toISOString()}>{time}</time>
        {state && (
          <span class="state" title={stateLabel(state)}>
            <Ticks state={state} />
            <span class="sr-only">{stateLabel(state)}</span>
          </span>
        )}
      </span>
      {count && count.read > 0 && (
        <span class="read-by" data-read-by={r.readBy!.join(" ")} data-read-count={`${count.read}/${count.of}`}>
          {count.read >= count.of ? t("group.readByAll") : t("group.readCount", { n: count.read, of: count.of })}
        </span>
      )}
      {failure && (
        <>
          <p class="failed-reason" data-error={failure.code}>{errorText({ code: failure.code, message: failure.reason })}{failure.reason ? ` (${failure.reason})` : ""}</p>
          <span class="failed-actions">
            <button type="button" class="link" onClick={() => sendFrame({ t: "retry", msgId: r.id })}>{t("conv.retry")}</button>
          </span>
        </>
      )}
      {r.url && (
        <a class="post-link" href={r.url} target="_blank" rel="noopener noreferrer">{t("conv.openPost")}</a>
      )}
      {error && (
        <>
          <p class="failed-reason" data-error={error.code}>{errorMessage(error)}</p>
          <span class="failed-actions">
            {canRetry(error.code) && <button type="button" class="link" onClick={() => void retryMessage(r.id)}>{t("conv.retry")}</button>}
            <button type="button" class="link" onClick={() => void discard(r.id)}>{t("conv.discard")}</button>
          </span>
        </>
      )}
    </div>
  );
}

function stateLabel(state: DeliveryState): string {
  return state === "failed" ? t("state.notSent") : t(`state.${state}` as "state.sent");
}

/** A notice in the user's language by its key, else the server's own words. */
function noticeText(n: RemoteNotice): string {
  const key = `notice.${n.key}`;
  return key in en ? t(key as "notice.irc.no-history") : n.text;
}
