// What a long-press on a chat row offers: mute, archive, delete from this phone. An ended
// or left group can only be read, so for it "delete" reads "remove from the list". All of
// it is kept on this phone (state/chat-prefs.ts).
import { useSignal } from "@preact/signals";
import { t } from "../i18n";
import { archiveChat, deleteChat, muteChat, prefOf } from "../state/chat-prefs";
import { muteConversation } from "../state/notify";
import type { ConversationSummary } from "../state/types";
import { Icon, type IconName } from "../ui/icons";
import { Sheet } from "../ui/sheet";

export default function ChatMenu({ c, onClose }: { c: ConversationSummary; onClose: () => void }) {
  const asking = useSignal(false);
  const pref = prefOf(c.id);
  const closed = c.kind === "group" && (!!c.ended || !!c.left);
  const act = (fn: () => Promise<void>) => async () => {
    await fn();
    onClose();
  };
  const item = (id: string, icon: IconName, label: string, onClick: () => unknown) => (
    <li>
      <button type="button" class="menu-item" data-action={id} onClick={() => void onClick()}>
        <Icon name={icon} />
        <span>{label}</span>
      </button>
    </li>
  );
  return (
    <Sheet title={c.title || t("chats.title")} onClose={onClose} class="menu-sheet">
      {asking.value ? (
        <>
          <p role="alert">{t(closed ? "chatMenu.removeConfirm" : "chatMenu.deleteConfirm")}</p>
          <div class="sheet-actions">
            <button type="button" class="button" onClick={() => (asking.value = false)}>{t("common.cancel")}</button>
            <button type="button" class="button danger" data-action="delete-yes" onClick={act(() => deleteChat(c.id, c.last?.at ?? Date.now()))}>
              {t(closed ? "chatMenu.remove" : "chatMenu.delete")}
            </button>
          </div>
        </>
      ) : (
        <>
          <ul class="menu">
            {!closed && item("mute", "mute", t(pref.muted ? "chatMenu.unmute" : "chatMenu.mute"), act(() => muteEverywhere(c.id, !pref.muted)))}
            {item("archive", "archive", t(pref.archived ? "chatMenu.unarchive" : "chatMenu.archive"), act(() => archiveChat(c.id, !pref.archived)))}
            {item("delete", "trash", t(closed ? "chatMenu.remove" : "chatMenu.delete"), () => (asking.value = true))}
          </ul>
          <p class="hint">{t("chatMenu.onlyHere")}</p>
          <button type="button" class="button wide" onClick={onClose}>{t("common.cancel")}</button>
        </>
      )}
    </Sheet>
  );
}

/**
 * Muted on this phone (the list's look) and in the hub (issue 14), which stops its pushes on
 * every device. Offline only the phone's part is done; muting again later reaches the hub.
 */
async function muteEverywhere(conv: string, muted: boolean): Promise<void> {
  await muteChat(conv, muted);
  await muteConversation(conv, muted ? null : "unmute").catch(() => undefined);
}
