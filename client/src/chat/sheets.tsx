// The attach menu and the confirm sheet, a lazy chunk: it loads when the user first taps
// the paperclip. Pictures, clips and locations wait here for a second tap (voice clips go
// on release, with an undo: composer.tsx).
import { useSignal } from "@preact/signals";
import { useEffect, useMemo } from "preact/hooks";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { queueMessage } from "../state/outbox";
import { queueMedia } from "../state/uploads";
import { Icon, type IconName } from "../ui/icons";
import { Sheet } from "../ui/sheet";
import { type Draft, attachOpen, closeCompose, draft, locate } from "./draft";
import { LocationCard } from "./location-card";
import { type Prepared, prepareMedia } from "./media-check";

export default function Sheets({ conv, to }: { conv: string; to: string }) {
  const d = draft.value;
  if (d) return <Confirm d={d} conv={conv} to={to} />;
  if (attachOpen.value) return <AttachMenu />;
  return null;
}

function AttachMenu() {
  const pick = (kind: "image" | "video") => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    attachOpen.value = false;
    draft.value = { kind, blob: file };
  };
  const option = (id: string, icon: IconName, label: string, accept: string, kind: "image" | "video", capture?: "environment" | "user") => (
    <label class="pick">
      <input class="pick-input" type="file" accept={accept} data-pick={id} aria-label={label} onChange={pick(kind)} {...(capture ? { capture } : {})} />
      <Icon name={icon} />
      <span>{label}</span>
    </label>
  );
  return (
    <Sheet title={t("attach.title")} onClose={closeCompose}>
      <div class="pick-grid">
        {option("image", "image", t("attach.picture"), "image/*", "image")}
        {option("camera", "camera", t("attach.camera"), "image/*", "image", "environment")}
        {option("video", "video", t("attach.video"), "video/*", "video")}
        {option("record-video", "video", t("attach.recordVideo"), "video/*", "video", "environment")}
        <button type="button" class="pick" onClick={locate} data-pick="location">
          <Icon name="pin" />
          <span>{t("attach.location")}</span>
        </button>
      </div>
      <button type="button" class="button wide" onClick={closeCompose}>{t("common.cancel")}</button>
    </Sheet>
  );
}

const TITLES = { image: "confirm.picture", video: "confirm.video", location: "confirm.location" } as const;

function Confirm({ d, conv, to }: { d: Draft; conv: string; to: string }) {
  const caption = useSignal("");
  const busy = useSignal(false);
  const prepared = useSignal<Prepared | null>(null);
  const blob = "blob" in d ? d.blob : undefined;
  // Checked (and a photo shrunk) before anything shows: a file that cannot go never previews.
  useEffect(() => {
    if (d.kind === "location") return;
    let gone = false;
    prepared.value = null;
    void prepareMedia(d.blob, d.kind).then((p) => !gone && (prepared.value = p));
    return () => void (gone = true);
  }, [blob]);
  const p = prepared.value;
  const ready = p?.ok ? p : null;
  const shown = ready ? (ready.kind === "image" ? (ready.thumb ?? ready.blob) : ready.blob) : undefined;
  const url = useMemo(() => (shown && typeof URL.createObjectURL === "function" ? URL.createObjectURL(shown) : undefined), [shown]);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);

  const canSend = d.kind === "location" ? d.state === "found" : !!ready;
  const send = async () => {
    if (!canSend || busy.value) return;
    busy.value = true;
    const text = caption.value.trim();
    try {
      if (d.kind === "location") {
        if (d.state !== "found") return;
        await queueMessage(conv, to, {
          type: "location",
          lat: d.lat,
          lng: d.lng,
          ...(d.accuracy !== undefined ? { accuracy: Math.round(d.accuracy) } : {}),
          ...(text ? { label: text.slice(0, 200) } : {}),
        });
      } else if (ready) {
        await queueMedia(conv, to, { blob: ready.blob, kind: ready.kind, ...(text ? { caption: text.slice(0, 1000) } : {}), ...(ready.thumb ? { thumb: ready.thumb } : {}) });
      }
      closeCompose();
    } finally {
      busy.value = false;
    }
  };

  return (
    <Sheet title={t(TITLES[d.kind])} onClose={closeCompose}>
      <div class="confirm-preview" data-draft={d.kind}>
        {d.kind !== "location" && !p && <p class="muted" role="status">{t("confirm.checking")}</p>}
        {p && !p.ok && <p class="field-error" role="alert" data-refused={p.code}>{errorText({ code: p.code })}</p>}
        {ready?.kind === "image" && url && <img class="preview-image" src={url} alt={t("media.picture")} />}
        {ready && ready.kind !== "image" && url && <video class="clip-video" src={url} controls playsInline aria-label={t("media.video")} />}
        {d.kind === "location" && d.state === "locating" && <p role="status">{t("loc.locating")}</p>}
        {d.kind === "location" && d.state === "error" && <p class="field-error" role="alert">{t(d.reason === "denied" ? "loc.denied" : "loc.unavailable")}</p>}
        {d.kind === "location" && d.state === "found" && <LocationCard lat={d.lat} lng={d.lng} accuracy={d.accuracy} />}
      </div>
      {canSend && (
        <div class="field">
          <label for="draft-caption">{t(d.kind === "location" ? "confirm.label" : "confirm.caption")}</label>
          <input id="draft-caption" value={caption.value} maxLength={d.kind === "location" ? 200 : 1000} onInput={(e) => (caption.value = e.currentTarget.value)}
            onKeyDown={(e) => e.key === "Enter" && (e.preventDefault(), void send())} />
        </div>
      )}
      <div class="sheet-actions">
        <button type="button" class="button" onClick={closeCompose}>{t("common.cancel")}</button>
        {(canSend || d.kind === "location" || !p) && (
          <button type="button" class="button primary" onClick={() => void send()} disabled={!canSend || busy.value}>
            <Icon name="send" size={20} /> {t("confirm.send")}
          </button>
        )}
      </div>
    </Sheet>
  );
}
