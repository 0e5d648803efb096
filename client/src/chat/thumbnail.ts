// Pictures are shown small in the conversation: the device scales them itself (there is
// no server-side resizing), so a 12-megapixel photo costs a 480-pixel bitmap on screen.

/** Largest edge of a thumbnail, in pixels (≈ 2× the bubble's CSS width for sharp screens). */
export const THUMB_EDGE = 480;

/** A JPEG no larger than `edge` on its longest side, or the original when it is small already or cannot be decoded here. */
export async function scaleImage(blob: Blob, edge = THUMB_EDGE): Promise<Blob> {
  if (typeof createImageBitmap !== "function") return blob;
  let bitmap: ImageBitmap;
  try {
    // Decoding respects the photo's EXIF orientation (the default "from-image").
    bitmap = await createImageBitmap(blob);
  } catch {
    return blob;
  }
  try {
    const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && blob.size < 200_000) return blob;
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) return blob;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
    return await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b ?? blob), "image/jpeg", 0.82));
  } finally {
    bitmap.close();
  }
}

const thumbs = new Map<string, Promise<string>>();

/**
 * An object URL of a scaled copy of a sent picture, made once per media id. The original
 * is fetched once (the server marks it immutable, so the full-size view reuses the HTTP cache).
 */
export function thumbnailUrl(mediaId: string): Promise<string> {
  let url = thumbs.get(mediaId);
  if (!url) {
    url = fetch(mediaUrl(mediaId), { credentials: "same-origin" })
      .then((res) => {
        if (!res.ok) throw new Error(`media ${mediaId}: HTTP ${res.status}`);
        return res.blob();
      })
      .then((b) => scaleImage(b))
      .then((b) => URL.createObjectURL(b));
    // A failure (offline, gone) may be cured later: do not cache it.
    url.catch(() => thumbs.delete(mediaId));
    thumbs.set(mediaId, url);
  }
  return url;
}

export const mediaUrl = (id: string) => `/api/media/${encodeURIComponent(id)}`;
