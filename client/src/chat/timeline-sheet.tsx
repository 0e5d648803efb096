// Where an own message went, step by step with times (issue 14): accepted by Unibox, handed
// to the network (each try), acknowledged, delivered, read, or failed with the reason.
// Opened from the message menu (a long-press or right-click on an own bubble).
import "../inbox/inbox.css";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { Sheet } from "../ui/sheet";
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
    <Sheet title={t("tl.title")} onClose={onClose} class="menu-sheet">
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
    </Sheet>
  );
}
