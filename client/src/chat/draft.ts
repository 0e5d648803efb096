// What the composer is about to send besides text: a picked picture or clip, or a location, waiting for the user's confirmation (the patent's confirm
// step: nothing but text leaves without a second tap).
import { signal } from "@preact/signals";

export type Draft =
  | { kind: "image"; blob: Blob }
  | { kind: "video"; blob: Blob }
  | { kind: "location"; state: "locating" }
  | { kind: "location"; state: "found"; lat: number; lng: number; accuracy?: number }
  | { kind: "location"; state: "error"; reason: "denied" | "unavailable" };

export const draft = signal<Draft | null>(null);
/** The attach menu (picture, camera, video, location) is open. */
export const attachOpen = signal(false);

export function closeCompose(): void {
  draft.value = null;
  attachOpen.value = false;
}

/** Asks the browser where we are; the draft shows "locating" until it answers. */
export function locate(): void {
  attachOpen.value = false;
  draft.value = { kind: "location", state: "locating" };
  if (!navigator.geolocation) {
    draft.value = { kind: "location", state: "error", reason: "unavailable" };
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      if (draft.value?.kind !== "location") return; // cancelled meanwhile
      draft.value = { kind: "location", state: "found", lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy };
    },
    (err) => {
      if (draft.value?.kind !== "location") return;
      draft.value = { kind: "location", state: "error", reason: err.code === err.PERMISSION_DENIED ? "denied" : "unavailable" };
    },
    { enableHighAccuracy: true, timeout: 20_000, maximumAge: 30_000 },
  );
}
