// Voice clips with MediaRecorder. Opus in WebM where the browser has it (Chromium,
// Firefox), else whatever it records (Safari: MP4/AAC); the server sniffs the bytes.
// The length is measured while recording and written into a WebM's header, which a live
// recorder leaves without one (webm-duration.ts).
import { withDuration } from "./webm-duration";

export type Clip = { blob: Blob; ms: number };
export type Recording = { stop(): Promise<Clip>; cancel(): void; startedAt: number };

const PREFERRED = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

export function canRecord(): boolean {
  return typeof MediaRecorder !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
}

/** Asks for the microphone and starts recording; the returned handle stops (giving the clip) or cancels. */
export async function startRecording(): Promise<Recording> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = PREFERRED.find((m) => MediaRecorder.isTypeSupported(m));
  const rec = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks: Blob[] = [];
  let began = performance.now();
  let ended = 0;
  rec.onstart = () => (began = performance.now());
  rec.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
  const release = () => stream.getTracks().forEach((t) => t.stop());
  const done = new Promise<Clip>((resolve, reject) => {
    rec.onstop = () => {
      release();
      const ms = Math.round((ended || performance.now()) - began);
      const blob = new Blob(chunks, { type: rec.mimeType || mimeType || "audio/webm" });
      void withDuration(blob, ms).then((fixed) => resolve({ blob: fixed, ms }), () => resolve({ blob, ms }));
    };
    rec.onerror = (e) => {
      release();
      reject((e as unknown as { error?: Error }).error ?? new Error("recording failed"));
    };
  });
  // A timeslice so a long clip is flushed in pieces, not held in one buffer until stop.
  rec.start(1000);
  return {
    startedAt: Date.now(),
    stop() {
      ended = performance.now();
      if (rec.state !== "inactive") rec.stop();
      return done;
    },
    cancel() {
      if (rec.state !== "inactive") rec.stop();
      void done.catch(() => undefined);
    },
  };
}

/** 67 000 ms → "1:07". */
export function clipTime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
