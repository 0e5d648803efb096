// Voice clips with MediaRecorder. Opus in WebM where the browser has it (Chromium,
// Firefox), else whatever it records (Safari: MP4/AAC); the server sniffs the bytes.

export type Recording = { stop(): Promise<Blob>; cancel(): void; startedAt: number };

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
  rec.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
  const release = () => stream.getTracks().forEach((t) => t.stop());
  const done = new Promise<Blob>((resolve, reject) => {
    rec.onstop = () => {
      release();
      resolve(new Blob(chunks, { type: rec.mimeType || mimeType || "audio/webm" }));
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
      if (rec.state !== "inactive") rec.stop();
      return done;
    },
    cancel() {
      if (rec.state !== "inactive") rec.stop();
      void done.catch(() => undefined);
    },
  };
}
