// One conversation: bubbles grouped by day and sender, receipts on own messages, older
// pages on scroll up, and a composer that queues into the outbox (works offline).
import { useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { useRoute } from "preact-iso";
import { formatDay, t } from "../i18n";
import { conversations } from "../state/conversations";
import { friends } from "../state/friends";
import { discard, pendingByConv, queueMessage, retry } from "../state/outbox";
import { me } from "../state/session";
import { activeConv, markRead } from "../state/sync";
import { loadOlder, openThread, threadOf } from "../state/threads";
import type { DeliveryState, OutboxItem, StoredMessage } from "../state/types";
import { Avatar } from "../ui/avatar";
import { Icon, Ticks } from "../ui/icons";
import { previewOf } from "../ui/preview";

type Row = { id: string; from: string; at: number; text: string; state?: DeliveryState; item?: OutboxItem };

export default function Conversation() {
  const { params, query } = useRoute();
  const conv = decodeURIComponent(params.conv ?? "");
  const summary = useComputed(() => conversations.value.find((c) => c.id === conv));
  const peerId = summary.value?.peer?.id ?? query.to;
  const friend = friends.value.find((f) => f.user.id === peerId);
  const title = summary.value?.title ?? friend?.user.displayName ?? "";

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

  if (!peerId) {
    return (
      <section class="screen">
        <ConvHeader title="" />
        <p class="empty">{t("conv.notFound")}</p>
      </section>
    );
  }
  return (
    <section class="screen conversation" aria-label={title}>
      <ConvHeader title={title} peerId={peerId} online={friend?.online} />
      <MessageList conv={conv} />
      <Composer conv={conv} to={peerId} />
    </section>
  );
}

function ConvHeader({ title, peerId, online }: { title: string; peerId?: string; online?: boolean }) {
  return (
    <header class="topbar conv-top">
      <a href="/" class="icon-button" aria-label={t("conv.back")}>
        <Icon name="back" />
      </a>
      {peerId && <Avatar id={peerId} name={title} size={36} online={online} />}
      <div class="conv-title">
        <h1>{title}</h1>
        {online !== undefined && <span class="muted">{online ? t("conv.online") : t("conv.offline")}</span>}
      </div>
    </header>
  );
}

function MessageList({ conv }: { conv: string }) {
  const thread = threadOf(conv).value;
  const self = me.value?.id ?? "";
  const pending = pendingByConv.value.get(conv) ?? [];
  const rows: Row[] = [
    ...thread.messages.map((m: StoredMessage) => ({ id: m.id, from: m.from, at: m.at, text: previewOf(m.body), state: m.from === self ? (m.state ?? "sent") : undefined })),
    ...pending.map((i) => ({ id: i.id, from: self, at: i.createdAt, text: previewOf(i.body), state: (i.error ? "failed" : "sending") as DeliveryState, item: i })),
  ];
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
  const lastOwn = rows.filter((r) => r.from === self).at(-1)?.id;
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
          <Bubbles rows={rows} self={self} />
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

const GROUP_GAP_MS = 5 * 60_000;

function Bubbles({ rows, self }: { rows: Row[]; self: string }) {
  const out = [];
  let day = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const next = rows[i + 1];
    const d = new Date(r.at).toDateString();
    if (d !== day) {
      day = d;
      out.push(<div class="day" role="separator" key={`day-${d}`}><span>{formatDay(r.at)}</span></div>);
    }
    const endsRun = !next || next.from !== r.from || next.at - r.at > GROUP_GAP_MS || new Date(next.at).toDateString() !== d;
    out.push(<Bubble key={r.id} r={r} own={r.from === self} tail={endsRun} />);
  }
  return <>{out}</>;
}

function Bubble({ r, own, tail }: { r: Row; own: boolean; tail: boolean }) {
  const time = new Date(r.at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return (
    <div class={`bubble ${own ? "own" : "theirs"}${tail ? " tail" : ""}`} data-msg={r.id} data-state={r.state}>
      <p class="text">{r.text}</p>
      <span class="meta">
        <time dateTime={new Date(r.at).toISOString()}>{time}</time>
        {r.state && (
          <span class="state" title={stateLabel(r)}>
            <Ticks state={r.state} />
            <span class="sr-only">{stateLabel(r)}</span>
          </span>
        )}
      </span>
      {r.item?.error && (
        <span class="failed-actions">
          <button type="button" class="link" onClick={() => void retry(r.id)}>{t("conv.retry")}</button>
          <button type="button" class="link" onClick={() => void discard(r.id)}>{t("conv.discard")}</button>
        </span>
      )}
    </div>
  );
}

function stateLabel(r: Row): string {
  if (r.state === "failed") return t("state.failed", { reason: r.item?.error?.message ?? "" });
  return t(`state.${r.state ?? "sent"}` as "state.sent");
}

function Composer({ conv, to }: { conv: string; to: string }) {
  const text = useSignal("");
  const area = useRef<HTMLTextAreaElement>(null);
  // Grow with the text up to a few lines, then scroll inside.
  useSignalEffect(() => {
    void text.value;
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 140)}px`;
  });
  const send = () => {
    const body = text.value.trim();
    if (!body) return;
    text.value = "";
    void queueMessage(conv, to, { type: "text", text: body });
    area.current?.focus();
  };
  // Enter sends where there is a real keyboard; on a phone Enter is a new line and the button sends.
  const enterSends = typeof matchMedia === "function" && !matchMedia("(pointer: coarse)").matches;
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <label class="sr-only" for="composer">{t("conv.composer")}</label>
      <textarea
        id="composer"
        ref={area}
        rows={1}
        placeholder={t("conv.placeholder")}
        value={text.value}
        enterkeyhint="send"
        onInput={(e) => (text.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (enterSends && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="send" aria-label={t("conv.send")} disabled={!text.value.trim()}>
        <Icon name="send" />
      </button>
    </form>
  );
}

