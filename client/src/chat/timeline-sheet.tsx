// Where an own message went, step by step with times (issue 14): accepted by Unibox, handed
// to the network (each try), acknowledged, delivered, read, or failed with the reason.
// Opened by a long-press (or right-click) on an own bubble. When the message menu of issue
// 15 is in, it belongs there as one entry rendering <TimelineSheet>, and TimelineOnHold goes.
import "../inbox/inbox.css";
import { signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { InboxSheet } from "../inbox/sheet";
import { accountById } from "../state/accounts";
import { friendById } from "../state/friends";
import { fetchTimeline, type MessageTimeline } from "../state/timeline";

const STEP_KEYS = { accepted: "tl.accepted", handed: "tl.handed", acknowledged: "tl.acknowledged", delivered: "tl.delivered", read: "tl.read", failed: "tl.failed", retried: "tl.retried" } as const;

const clock = (at: number) => new Date(at).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function TimelineSheet({ conv, msgId, onClose }: { conv: string; msgId: string; onClose: () => void }) {
  const timeline = useSignal<MessageTimeline | null>(null);
  const error = useSignal("");
  useEffect(() => {
    void fetchTimeline(conv, msgId).then((tl) => (timeline.value = tl)).catch((err) => (error.value = failText(err)));
  }, [conv, msgId]);
  const tl = timeline.value;
  const who = (by?: string) => (by ? (friendById(by)?.displayName ?? (by.startsWith("a_") ? sourceLabel(by) : by)) : "");
  return (
    <InboxSheet title={t("tl.title")} onClose={onClose} id="timeline-title">
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {!tl && !error.value && <p class="muted" aria-busy="true">{t("tl.loading")}</p>}
      {tl && (
        <ol class="timeline" data-timeline={tl.msgId}>
          {tl.steps.map((s, i) => (
            <li key={i} class={`tl-step tl-${s.step}`} data-step={s.step}>
              <span class="tl-what">
                {t(STEP_KEYS[s.step], { by: who(s.by), n: s.attempt ?? 1 })}
                {s.reason && <span class="tl-reason"> — {s.reason}</span>}
              </span>
              <time dateTime={new Date(s.at).toISOString()}>{clock(s.at)}</time>
            </li>
          ))}
        </ol>
      )}
      {tl?.readBy && tl.readBy.length > 0 && <p class="muted">{t("group.readBy", { names: tl.readBy.map(who).join(", ") })}</p>}
      <button type="button" class="button wide" onClick={onClose}>{t("tl.close")}</button>
    </InboxSheet>
  );
}

const open = signal<{ conv: string; msgId: string } | null>(null);
const HOLD_MS = 500;

/** Standalone until the message menu lands: a held press or a right-click on an own bubble in a chat. */
export function TimelineOnHold() {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let startAt: { x: number; y: number } | null = null;
    const target = (e: Event) => {
      const bubble = (e.target as Element | null)?.closest?.(".bubble.own[data-msg]") as HTMLElement | null;
      const m = /^\/chat\/([^/?#]+)/.exec(location.pathname);
      return bubble && m && bubble.dataset.state && bubble.dataset.state !== "sending" ? { conv: decodeURIComponent(m[1]!), msgId: bubble.dataset.msg! } : null;
    };
    const cancel = () => {
      clearTimeout(timer);
      startAt = null;
    };
    const down = (e: PointerEvent) => {
      const at = target(e);
      if (!at) return;
      startAt = { x: e.clientX, y: e.clientY };
      timer = setTimeout(() => (open.value = at), HOLD_MS);
    };
    const move = (e: PointerEvent) => startAt && Math.hypot(e.clientX - startAt.x, e.clientY - startAt.y) > 10 && cancel();
    const menu = (e: MouseEvent) => {
      const at = target(e);
      if (!at) return;
      e.preventDefault();
      cancel();
      open.value = at;
    };
    document.addEventListener("pointerdown", down);
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", cancel);
    document.addEventListener("pointercancel", cancel);
    document.addEventListener("contextmenu", menu);
    return () => {
      cancel();
      document.removeEventListener("pointerdown", down);
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", cancel);
      document.removeEventListener("pointercancel", cancel);
      document.removeEventListener("contextmenu", menu);
    };
  }, []);
  const at = open.value;
  return at ? <TimelineSheet conv={at.conv} msgId={at.msgId} onClose={() => (open.value = null)} /> : null;
}
