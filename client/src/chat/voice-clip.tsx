// A voice message: play/pause, a seek bar and the clip's real length. The length comes
// from the metadata (clips from this app carry a Duration: webm-duration.ts); a WebM from
// elsewhere that has none reports Infinity until played through, so then the bytes are
// decoded once to measure it.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { clipTime } from "./recorder";

const measured = new Map<string, Promise<number>>();

/** The length of a clip in ms, decoded from its bytes (OfflineAudioContext needs no user gesture). */
function decodeLength(src: string): Promise<number> {
  let p = measured.get(src);
  if (!p) {
    p = fetch(src, { credentials: "same-origin" })
      .then((r) => r.arrayBuffer())
      .then((buf) => new OfflineAudioContext(1, 1, 48_000).decodeAudioData(buf))
      .then((audio) => audio.duration * 1000);
    p.catch(() => measured.delete(src));
    measured.set(src, p);
  }
  return p;
}

export function VoiceClip({ src }: { src: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const length = useSignal<number | null>(null);
  const at = useSignal(0);
  const playing = useSignal(false);

  useEffect(() => {
    const a = audio.current;
    if (!a) return;
    let gone = false;
    const fromMetadata = () => {
      if (Number.isFinite(a.duration) && a.duration > 0) length.value = a.duration * 1000;
      else if (typeof OfflineAudioContext === "function") void decodeLength(src).then((ms) => !gone && length.value === null && (length.value = ms)).catch(() => undefined);
    };
    if (a.readyState >= 1) fromMetadata();
    a.addEventListener("loadedmetadata", fromMetadata);
    a.addEventListener("durationchange", () => Number.isFinite(a.duration) && a.duration > 0 && (length.value = a.duration * 1000));
    return () => {
      gone = true;
      a.removeEventListener("loadedmetadata", fromMetadata);
    };
  }, [src]);

  const toggle = () => {
    const a = audio.current;
    if (!a) return;
    if (a.paused) void a.play().catch(() => (playing.value = false));
    else a.pause();
  };
  const total = length.value;
  const shown = total === null ? "–:––" : clipTime(playing.value || at.value > 0 ? at.value : total);
  return (
    <div class="voice" data-length-ms={total === null ? undefined : Math.round(total)}>
      <audio
        ref={audio}
        src={src}
        preload="metadata"
        onPlay={() => (playing.value = true)}
        onPause={() => (playing.value = false)}
        onEnded={() => {
          playing.value = false;
          at.value = 0;
        }}
        onTimeUpdate={(e) => (at.value = e.currentTarget.currentTime * 1000)}
      />
      <button type="button" class="voice-play" onClick={toggle} aria-label={t(playing.value ? "voice.pause" : "voice.play", { time: total === null ? "" : clipTime(total) })}>
        <span aria-hidden="true" class={playing.value ? "voice-icon pause" : "voice-icon play"} />
      </button>
      <input
        type="range"
        class="voice-seek"
        min={0}
        max={Math.max(1, Math.round(total ?? 0))}
        step={100}
        value={Math.round(at.value)}
        aria-label={t("voice.position")}
        aria-valuetext={`${clipTime(at.value)} / ${total === null ? "–" : clipTime(total)}`}
        onInput={(e) => {
          const a = audio.current;
          if (a) a.currentTime = Number(e.currentTarget.value) / 1000;
        }}
      />
      <span class="voice-time" aria-hidden="true">{shown}</span>
    </div>
  );
}
