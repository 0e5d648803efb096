// The bottom of a conversation: attach (picture, camera, video, location), the text box,
// and send — or, while the box is empty, a button to hold for a voice clip.
import { useSignal, useSignalEffect } from "@preact/signals";
import type { ComponentType } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { queueMessage } from "../state/outbox";
import { Icon } from "../ui/icons";
import { attachOpen, closeCompose, draft } from "./draft";
import { type Recording, canRecord, startRecording } from "./recorder";

type SheetsProps = { conv: string; to: string };
let Sheets: ComponentType<SheetsProps> | undefined;

export function Composer({ conv, to }: { conv: string; to: string }) {
  const text = useSignal("");
  const area = useRef<HTMLTextAreaElement>(null);
  const sheetsReady = useSignal(!!Sheets);
  // Grow with the text up to a few lines, then scroll inside.
  useSignalEffect(() => {
    void text.value;
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 140)}px`;
  });
  // A draft belongs to the conversation it was made in.
  useEffect(() => closeCompose, [conv]);
  const wantsSheet = attachOpen.value || draft.value !== null;
  useEffect(() => {
    if (!wantsSheet || Sheets) return;
    void import("./sheets").then((m) => {
      Sheets = m.default;
      sheetsReady.value = true;
    });
  }, [wantsSheet]);

  const send = () => {
    const body = text.value.trim();
    if (!body) return;
    text.value = "";
    void queueMessage(conv, to, { type: "text", text: body });
    area.current?.focus();
  };
  // Enter sends where there is a real keyboard; on a phone Enter is a new line and the button sends.
  const enterSends = typeof matchMedia === "function" && !matchMedia("(pointer: coarse)").matches;
  const empty = !text.value.trim();
  return (
    <>
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
          onInput={(e) => (text.value = e.currentTarget.value)}
          onKeyDown={(e) => {
            if (enterSends && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        {empty && canRecord() ? (
          <RecordButton />
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

/** Hold (pointer, or Space/Enter) to record; release to see and confirm the clip. */
function RecordButton() {
  const rec = useRef<Recording | null>(null);
  const starting = useRef(false);
  const released = useRef(false);
  const recording = useSignal(false);
  const seconds = useSignal(0);
  const note = useSignal("");

  useEffect(() => {
    if (!recording.value) return;
    const timer = setInterval(() => (seconds.value = Math.floor((Date.now() - (rec.current?.startedAt ?? Date.now())) / 1000)), 250);
    return () => clearInterval(timer);
  }, [recording.value]);
  useEffect(() => () => rec.current?.cancel(), []);

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
      draft.value = { kind: "audio", blob: await r.stop() };
    } catch {
      note.value = t("rec.failed");
    }
  };
  const abort = () => {
    released.current = true;
    rec.current?.cancel();
    rec.current = null;
    recording.value = false;
  };
  const holdKey = (e: KeyboardEvent) => (e.key === " " || e.key === "Enter") && !e.repeat;

  const m = Math.floor(seconds.value / 60);
  const s = String(seconds.value % 60).padStart(2, "0");
  return (
    <>
      {(recording.value || note.value) && (
        <p class={recording.value ? "rec-status on" : "rec-status"} role="status" aria-live="polite" data-recording={recording.value}>
          {recording.value ? <><span class="rec-dot" aria-hidden="true" /> {t("rec.recording", { time: `${m}:${s}` })}</> : note.value}
        </p>
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
