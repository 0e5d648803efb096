// The bottom of a conversation: attach (picture, camera, video, location), the text box,
// and send — or, while the box is empty, a button to hold for a voice clip, which goes
// when released (with a few seconds to undo).
import { useSignal, useSignalEffect } from "@preact/signals";
import type { ComponentType } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { queueMessage } from "../state/outbox";
import { noteTyping, stopTyping } from "../state/typing";
import { queueMedia } from "../state/uploads";
import { Icon } from "../ui/icons";
import { quoteLine } from "../ui/quote";
import { attachOpen, closeCompose, draft } from "./draft";
import { prepareMedia } from "./media-check";
import { type Clip, type Recording, canRecord, clipTime, startRecording } from "./recorder";
import { replyTo } from "./reply";

type SheetsProps = { conv: string; to: string };
let Sheets: ComponentType<SheetsProps> | undefined;

export function Composer({ conv, to }: { conv: string; to: string }) {
  const text = useSignal("");
  const area = useRef<HTMLTextAreaElement>(null);
  const sheetsReady = useSignal(!!Sheets);
  const shift = useRef(false);
  // Grow with the text up to a few lines, then scroll inside.
  useSignalEffect(() => {
    void text.value;
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 140)}px`;
  });
  // A draft and a reply belong to the conversation they were made in.
  useEffect(() => () => {
    closeCompose();
    stopTyping(conv);
    if (replyTo.value?.conv === conv) replyTo.value = null;
  }, [conv]);
  const wantsSheet = attachOpen.value || draft.value !== null;
  useEffect(() => {
    if (!wantsSheet || Sheets) return;
    void import("./sheets").then((m) => {
      Sheets = m.default;
      sheetsReady.value = true;
    });
  }, [wantsSheet]);
  const reply = replyTo.value?.conv === conv ? replyTo.value : null;
  useEffect(() => {
    if (reply) area.current?.focus();
  }, [reply?.id]);

  const send = () => {
    const body = text.value.trim();
    if (!body) return;
    text.value = "";
    stopTyping(conv);
    const quoted = reply ? quoteLine(reply.name, reply.said) + body : body;
    replyTo.value = null;
    void queueMessage(conv, to, { type: "text", text: quoted });
    area.current?.focus();
  };
  const empty = !text.value.trim();
  return (
    <>
      {reply && (
        <div class="reply-bar" data-reply-to={reply.id}>
          <Icon name="reply" size={20} />
          <p class="reply-text">
            <span class="reply-name">{t("reply.to", { name: reply.name })}</span>
            <span class="reply-said">{reply.said}</span>
          </p>
          <button type="button" class="icon-button" aria-label={t("reply.cancel")} onClick={() => (replyTo.value = null)}>
            <Icon name="close" size={20} />
          </button>
        </div>
      )}
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <button type="button" class="icon-button attach" aria-label={t("attach.open")} aria-haspopup="dialog" onClick={() => (attachOpen.value = true)}>
          <Icon name="attach" />
        </button>
        <label class="sr-only" for="composer">{t("conv.composer")}</label>
        <textarea
          id="composer"
          ref={area}
          rows={1}
          placeholder={t("conv.placeholder")}
          value={text.value}
          enterkeyhint="send"
          onInput={(e) => {
            text.value = e.currentTarget.value;
            if (text.value.trim()) noteTyping(conv);
            else stopTyping(conv);
          }}
          // The keyboard's key says "Send", so it sends — on a phone's keyboard too. Shift+Enter
          // is a new line. Some Android keyboards send no usable keydown for it (key
          // "Unidentified"), only the line break itself, which is caught as `beforeinput`.
          onKeyDown={(e) => {
            shift.current = e.shiftKey;
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
          onKeyUp={(e) => (shift.current = e.shiftKey)}
          onBeforeInput={(e) => {
            const type = (e as InputEvent).inputType;
            if ((type === "insertLineBreak" || type === "insertParagraph") && !shift.current && !(e as InputEvent).isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        {empty && canRecord() ? (
          <RecordButton conv={conv} to={to} />
        ) : (
          <button type="submit" class="send" aria-label={t("conv.send")} disabled={empty}>
            <Icon name="send" />
          </button>
        )}
      </form>
      {wantsSheet && sheetsReady.value && Sheets && <Sheets conv={conv} to={to} />}
    </>
  );
}

/** Clips shorter than this were a tap, not a recording: we say how it works instead. */
const MIN_CLIP_MS = 600;
/** How long a released clip waits, with Undo, before it goes. */
export const VOICE_UNDO_MS = 3_000;

/** Hold (pointer, or Space/Enter) to record; release to send, with a moment to undo. */
function RecordButton({ conv, to }: { conv: string; to: string }) {
  const rec = useRef<Recording | null>(null);
  const starting = useRef(false);
  const released = useRef(false);
  const recording = useSignal(false);
  const seconds = useSignal(0);
  const note = useSignal("");
  const pending = useSignal<{ clip: Clip; timer: ReturnType<typeof setTimeout> } | null>(null);

  useEffect(() => {
    if (!recording.value) return;
    const timer = setInterval(() => (seconds.value = Math.floor((Date.now() - (rec.current?.startedAt ?? Date.now())) / 1000)), 250);
    return () => clearInterval(timer);
  }, [recording.value]);
  // Leaving the chat during the undo moment sends the clip: releasing meant "send".
  useEffect(() => () => {
    rec.current?.cancel();
    const p = pending.peek();
    if (p) {
      clearTimeout(p.timer);
      void sendClip(p.clip);
    }
  }, []);

  const sendClip = async (clip: Clip) => {
    pending.value = null;
    const ok = await prepareMedia(clip.blob, "audio");
    if (!ok.ok) {
      note.value = errorText({ code: ok.code });
      return;
    }
    await queueMedia(conv, to, { blob: ok.blob, kind: "audio" });
  };
  const begin = async () => {
    if (rec.current || starting.current) return;
    starting.current = true;
    released.current = false;
    note.value = "";
    try {
      rec.current = await startRecording();
      seconds.value = 0;
      recording.value = true;
      if (released.current) await finish();
    } catch (err) {
      note.value = t((err as DOMException)?.name === "NotAllowedError" ? "rec.denied" : "rec.failed");
    } finally {
      starting.current = false;
    }
  };
  const finish = async () => {
    released.current = true;
    const r = rec.current;
    if (!r) return;
    rec.current = null;
    recording.value = false;
    if (Date.now() - r.startedAt < MIN_CLIP_MS) {
      r.cancel();
      note.value = t("rec.tooShort");
      return;
    }
    try {
      const clip = await r.stop();
      pending.value = { clip, timer: setTimeout(() => void sendClip(clip), VOICE_UNDO_MS) };
    } catch {
      note.value = t("rec.failed");
    }
  };
  const undo = () => {
    const p = pending.value;
    if (!p) return;
    clearTimeout(p.timer);
    pending.value = null;
    note.value = t("rec.undone");
  };
  const abort = () => {
    released.current = true;
    rec.current?.cancel();
    rec.current = null;
    recording.value = false;
  };
  const holdKey = (e: KeyboardEvent) => (e.key === " " || e.key === "Enter") && !e.repeat;

  const p = pending.value;
  return (
    <>
      {(recording.value || note.value || p) && (
        <div class={recording.value ? "rec-status on" : "rec-status"} role="status" aria-live="polite" data-recording={recording.value} data-pending={p ? "true" : undefined}>
          {recording.value ? (
            <><span class="rec-dot" aria-hidden="true" /> {t("rec.recording", { time: clipTime(seconds.value * 1000) })}</>
          ) : p ? (
            <>
              <span>{t("rec.sending", { time: clipTime(p.clip.ms) })}</span>
              <button type="button" class="link" onClick={undo}>{t("rec.undo")}</button>
            </>
          ) : (
            note.value
          )}
        </div>
      )}
      <button
        type="button"
        class={recording.value ? "send mic recording" : "send mic"}
        aria-label={t("rec.hold")}
        aria-pressed={recording.value}
        data-recording={recording.value}
        onPointerDown={(e) => {
          e.preventDefault();
          e.currentTarget.setPointerCapture?.(e.pointerId);
          void begin();
        }}
        onPointerUp={() => void finish()}
        onPointerCancel={abort}
        onKeyDown={(e) => {
          if (!holdKey(e)) return;
          e.preventDefault();
          void begin();
        }}
        onKeyUp={(e) => (e.key === " " || e.key === "Enter") && void finish()}
        onContextMenu={(e) => e.preventDefault()}
      >
        <Icon name="mic" />
      </button>
    </>
  );
}
