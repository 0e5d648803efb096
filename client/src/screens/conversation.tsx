// One conversation, direct or group: bubbles grouped by day and sender, receipts on own
// messages (and who has read them, in a group), older pages on scroll up, and a composer
// that queues into the outbox (works offline). An ended or left group is read-only.
import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { useRoute } from "preact-iso";
import { Composer } from "../chat/composer";
import { MessageBody } from "../chat/message-body";
import { formatDay, t } from "../i18n";
import { conversations } from "../state/conversations";
import { friends } from "../state/friends";
import { type ClientGroup, type GroupNotice, groupByConv, groupIdOf, memberName } from "../state/groups";
import { discard, pendingByConv } from "../state/outbox";
import { me } from "../state/session";
import { activeConv, markRead } from "../state/sync";
import { loadOlder, openThread, threadOf } from "../state/threads";
import type { Body, DeliveryState, OutboxItem, StoredMessage } from "../state/types";
import { retryMessage } from "../state/uploads";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon, Ticks } from "../ui/icons";

type Row =
  | { kind: "msg"; id: string; from: string; at: number; body: Body; state?: DeliveryState; item?: OutboxItem; readBy?: string[] }
  | { kind: "notice"; id: string; at: number; notice: GroupNotice };

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

  const peerId = summary.value?.peer?.id ?? query.to;
  const friend = friends.value.find((f) => f.user.id === peerId);
  const title = summary.value?.title ?? friend?.user.displayName ?? "";
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
        <Avatar id={peerId} name={title} size={36} online={friend?.online} />
        <div class="conv-title">
          <h1>{title}</h1>
          {friend && <span class="muted">{friend.online ? t("conv.online") : t("conv.offline")}</span>}
        </div>
      </header>
      <MessageList conv={conv} group={null} />
      <Composer conv={conv} to={peerId} />
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

function MessageList({ conv, group }: { conv: string; group: ClientGroup | null }) {
  const thread = threadOf(conv).value;
  const self = me.value?.id ?? "";
  const pending = pendingByConv.value.get(conv) ?? [];
  const rows: Row[] = withNotices(
    thread.messages.map((m: StoredMessage): Row => ({
      kind: "msg", id: m.id, from: m.from, at: m.at, body: m.body,
      ...(m.from === self ? { state: m.state ?? "sent", readBy: m.readBy } : {}),
    })),
    group?.notices ?? [],
  );
  rows.push(...pending.map((i): Row => ({ kind: "msg", id: i.id, from: self, at: i.createdAt, body: i.body, state: i.error ? "failed" : "sending", item: i })));
  const scroller = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const scrolledUp = useSignal(false);

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
          <Bubbles rows={rows} self={self} group={group} />
        </div>
      </div>
      {scrolledUp.value && (
        <button type="button" class="jump" onClick={() => scroller.current?.scrollTo({ top: 0, behavior: "smooth" })} aria-label={t("conv.latest")}>
          <Icon name="down" />
        </button>
      )}
    </div>
  );
}

/** Puts each notice before the first message newer than it; the messages keep the log's order. */
function withNotices(msgs: Row[], notices: GroupNotice[]): Row[] {
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

function Bubbles({ rows, self, group }: { rows: Row[]; self: string; group: ClientGroup | null }) {
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
    const sender = group && !own && !sameRun(prev, r) ? (memberName(group, r.from) ?? friends.value.find((f) => f.user.id === r.from)?.user.displayName ?? "…") : undefined;
    out.push(<Bubble key={r.id} r={r} own={own} tail={!next || !sameRun(r, next)} sender={sender} group={group} />);
  }
  return <>{out}</>;
}

function Notice({ n, group, self }: { n: GroupNotice; group: ClientGroup | null; self: string }) {
  const who = (id?: string) => (id === self ? t("group.you") : (id && memberName(group ?? undefined, id)) ?? "…");
  const text =
    n.kind === "joined" ? t("group.notice.joined", { name: who(n.user) })
    : n.kind === "left" ? t("group.notice.left", { name: who(n.user) })
    : n.kind === "ttl" ? t("group.notice.ttl")
    : t("group.notice.ended");
  return <p class="notice" data-notice={n.kind}>{text}</p>;
}

function Bubble({ r, own, tail, sender, group }: { r: Extract<Row, { kind: "msg" }>; own: boolean; tail: boolean; sender?: string; group: ClientGroup | null }) {
  const time = new Date(r.at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const readers = group && own && r.readBy?.length ? r.readBy.map((id) => memberName(group, id) ?? "…") : [];
  const kind = r.body.type === "text" ? "" : ` has-${r.body.type}`;
  return (
    <div class={`bubble ${own ? "own" : "theirs"}${tail ? " tail" : ""}${kind}`} data-msg={r.id} data-state={r.state} data-from={r.from}>
      {sender && <span class="sender">{sender}</span>}
      <MessageBody body={r.body} item={r.item} />
      <span class="meta">
        <time dateTime={new Date(r.at).toISOString()}>{time}</time>
        {r.state && (
          <span class="state" title={stateLabel(r)}>
            <Ticks state={r.state} />
            <span class="sr-only">{stateLabel(r)}</span>
          </span>
        )}
      </span>
      {readers.length > 0 && <span class="read-by" data-read-by={r.readBy!.join(" ")}>{t("group.readBy", { names: readers.join(", ") })}</span>}
      {r.item?.error && (
        <span class="failed-actions">
          <button type="button" class="link" onClick={() => void retryMessage(r.id)}>{t("conv.retry")}</button>
          <button type="button" class="link" onClick={() => void discard(r.id)}>{t("conv.discard")}</button>
        </span>
      )}
    </div>
  );
}

function stateLabel(r: Extract<Row, { kind: "msg" }>): string {
  if (r.state === "failed") return t("state.failed", { reason: r.item?.error?.message ?? "" });
  return t(`state.${r.state ?? "sent"}` as "state.sent");
}
