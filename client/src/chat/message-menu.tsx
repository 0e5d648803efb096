// What a long-press (or right-click) on a message offers: reply (quoted), copy, forward,
// delete for me; for an own group message, who has read it. Deleting is for this phone
// only (state/chat-prefs.ts); a message still on its way is taken back instead.
import { signal, useSignal } from "@preact/signals";
import type { ComponentType } from "preact";
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { hideMessage } from "../state/chat-prefs";
import { friends } from "../state/friends";
import { type ClientGroup, memberName } from "../state/groups";
import { discard } from "../state/outbox";
import type { Body, ConversationSummary } from "../state/types";
import { cancelUpload } from "../state/uploads";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon, type IconName } from "../ui/icons";
import { previewOf } from "../ui/preview";
import { splitQuote } from "../ui/quote";
import { Sheet } from "../ui/sheet";
import { canForward, forward, forwardTargets } from "./forward";
import { formatCoord, mapsUrl } from "./map";
import { replyTo } from "./reply";

type Row = { id: string; from: string; body: Body; item?: { id: string; upload?: unknown } };

/** What Copy puts on the clipboard: the words, without a reply's quote; a place as its coordinates and link. */
export function copyText(body: Body): string {
  if (body.type === "text") return splitQuote(body.text).rest;
  if (body.type === "location") return `${body.label ? `${body.label} · ` : ""}${formatCoord(body.lat, body.lng)} ${mapsUrl(body.lat, body.lng)}`;
  if ("caption" in body && body.caption) return body.caption;
  return previewOf(body);
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No async clipboard (an insecure context, an old WebView): the selection way still works.
    const area = Object.assign(document.createElement("textarea"), { value: text });
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand?.("copy") ?? false;
    area.remove();
    return ok;
  }
}

type TimelineProps = { conv: string; msgId: string; onClose: () => void };
const Timeline = signal<ComponentType<TimelineProps> | null>(null);
function openTimeline(then: () => void): void {
  if (Timeline.value) return then();
  void import("./timeline-sheet").then((m) => {
    Timeline.value = m.TimelineSheet;
    then();
  });
}

export function MessageMenu({ conv, row, group, self, onClose }: { conv: string; row: Row; group: ClientGroup | null; self: string; onClose: () => void }) {
  const view = useSignal<"menu" | "forward" | "timeline">("menu");
  const note = useSignal("");
  const own = row.from === self;
  const pending = !!row.item;
  const name = own ? t("group.you") : (memberName(group ?? undefined, row.from) ?? friends.value.find((f) => f.user.id === row.from)?.user.displayName ?? "…");

  // Issue 14: where an own message went, step by step (a lazy chunk).
  if (view.value === "timeline" && Timeline.value) return <Timeline.value conv={conv} msgId={row.id} onClose={onClose} />;
  if (view.value === "forward") return <ForwardSheet body={row.body} own={own} self={self} onClose={onClose} onBack={() => (view.value = "menu")} />;

  const item = (icon: IconName, label: string, act: () => unknown, id: string) => (
    <li>
      <button type="button" class="menu-item" data-action={id} onClick={() => void act()}>
        <Icon name={icon} />
        <span>{label}</span>
      </button>
    </li>
  );
  const readers = group && own && !pending ? ((row as { readBy?: string[] }).readBy ?? []).map((id) => memberName(group, id) ?? "…") : [];
  return (
    <Sheet title={t("msg.menuTitle")} onClose={onClose} class="menu-sheet">
      <p class="menu-preview">{previewOf(row.body)}</p>
      {readers.length > 0 && <p class="muted" data-readers>{t("group.readBy", { names: readers.join(", ") })}</p>}
      <ul class="menu" aria-label={t("msg.menuTitle")}>
        {!pending && item("reply", t("msg.reply"), () => {
          replyTo.value = { conv, id: row.id, name, said: previewOf(row.body) };
          onClose();
        }, "reply")}
        {item("copy", t("msg.copy"), async () => {
          if (await copy(copyText(row.body))) onClose();
          else note.value = t("msg.copyFailed");
        }, "copy")}
        {!pending && canForward(row.body, own) && item("forward", t("msg.forward"), () => (view.value = "forward"), "forward")}
        {own && !pending && item("info", t("tl.menu"), () => openTimeline(() => (view.value = "timeline")), "timeline")}
        {item("trash", pending ? t("msg.takeBack") : t("msg.deleteForMe"), async () => {
          if (pending) await (row.item?.upload ? cancelUpload(row.id) : discard(row.id));
          else await hideMessage(row.id);
          onClose();
        }, "delete")}
      </ul>
      {note.value && <p class="field-error" role="alert">{note.value}</p>}
      <button type="button" class="button wide" onClick={onClose}>{t("common.cancel")}</button>
    </Sheet>
  );
}

function ForwardSheet({ body, own, self, onClose, onBack }: { body: Body; own: boolean; self: string; onClose: () => void; onBack: () => void }) {
  const busy = useSignal<string | null>(null);
  const error = useSignal("");
  const done = useSignal("");
  const targets = forwardTargets(self);
  const send = async (c: ConversationSummary) => {
    busy.value = c.id;
    error.value = "";
    try {
      await forward(body, own, c, self);
      done.value = t("msg.forwarded", { name: c.title });
    } catch (err) {
      error.value = errorMessage(err instanceof TypeError ? { code: "network" } : err);
    } finally {
      busy.value = null;
    }
  };
  return (
    <Sheet title={t("msg.forwardTitle")} onClose={onClose} class="menu-sheet">
      {targets.length === 0 ? <p class="muted">{t("msg.noTargets")}</p> : (
        <ul class="menu forward-list">
          {targets.map((c) => (
            <li key={c.id}>
              <button type="button" class="menu-item" data-forward-to={c.id} disabled={busy.value !== null} onClick={() => void send(c)}>
                {c.kind === "group" ? <GroupAvatar id={c.group ?? c.id} size={36} /> : <Avatar id={c.peer?.id ?? c.id} name={c.title} size={36} />}
                <span>{c.title}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {done.value && <p class="ok" role="status">{done.value}</p>}
      <div class="sheet-actions">
        <button type="button" class="button" onClick={onBack}>{t("common.back")}</button>
        <button type="button" class="button primary" onClick={onClose}>{t(done.value ? "common.done" : "common.cancel")}</button>
      </div>
    </Sheet>
  );
}
