// A picked file is checked on the phone before anything is sent: what its bytes say it is
// (the server's own sniffer, so both sides agree), and whether it fits the server's size
// limit once a large photo has been shrunk. A text file renamed `.png` never previews and
// never leaves; a 12 MB camera photo is shrunk to a ~1 MB JPEG and simply goes.
import type { MediaKind } from "../state/types";
import { SNIFF_BYTES, sniff } from "../../../worker/media/sniff";
import { scaleImage, shrinkPhoto } from "./thumbnail";

/**
 * MEDIA_LIMITS of core/protocol.ts, repeated because that module brings zod at runtime;
 * media-check.test.ts fails when the two differ.
 */
export const SEND_LIMITS: Record<MediaKind, number> = { image: 10 * 1024 * 1024, audio: 20 * 1024 * 1024, video: 50 * 1024 * 1024 };

/** Why a file cannot go, as the server's error codes (i18n/errors.ts has their sentences). */
export type MediaRefusal = "unsupported_media_type" | "media_type_mismatch" | "media_too_large";

export type Prepared =
  | { ok: true; blob: Blob; kind: MediaKind; format: string; thumb?: Blob }
  | { ok: false; code: MediaRefusal };

/** What the leading bytes are, or null for a file of no kind the server takes. */
export async function sniffBlob(blob: Blob): Promise<ReturnType<typeof sniff>> {
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  return sniff(head);
}

/**
 * Checks a picked picture or clip and readies it for sending: a photo shrunk (long edge
 * 2048, JPEG 0.85) and its thumbnail made. Animated GIFs and pictures this browser cannot
 * decode (HEIC outside Safari) go as they are, if they fit.
 */
export async function prepareMedia(blob: Blob, wanted: MediaKind): Promise<Prepared> {
  const sniffed = await sniffBlob(blob);
  if (!sniffed) return { ok: false, code: "unsupported_media_type" };
  const kinds = Object.keys(sniffed.as) as MediaKind[];
  const family = (k: MediaKind) => (k === "image" ? "picture" : "clip");
  if (family(kinds[0]!) !== family(wanted)) return { ok: false, code: "media_type_mismatch" };
  const kind = kinds.includes(wanted) ? wanted : kinds[0]!;
  if (kind !== "image") return blob.size > SEND_LIMITS[kind] ? { ok: false, code: "media_too_large" } : { ok: true, blob, kind, format: sniffed.format };

  const out = sniffed.format === "GIF" ? blob : await shrinkPhoto(blob);
  if (out.size > SEND_LIMITS.image) return { ok: false, code: "media_too_large" };
  return { ok: true, blob: out, kind, format: out === blob ? sniffed.format : "JPEG", thumb: await scaleImage(out) };
}
