// Pictures are scaled on the device: small copies for the conversation (there is no
// server-side resizing, so a 12-megapixel photo costs a 480-pixel bitmap on screen), and
// large photos shrunk before they are sent, as every messenger does.

/** Largest edge of a thumbnail, in pixels (≈ 2× the bubble's CSS width for sharp screens). */
export const THUMB_EDGE = 480;

/** A sent photo's longest edge and JPEG quality: sharp on any phone screen, about 0.5–1.5 MB. */
export const SEND_EDGE = 2048;
export const SEND_QUALITY = 0.85;

type ScaleOptions = {
  quality?: number;
  /** A picture already within `edge` and under this many bytes is kept as it is. */
  keepUnder?: number;
};

/** A JPEG no larger than `edge` on its longest side, or the original when it is small already or cannot be decoded here. */
export async function scaleImage(blob: Blob, edge = THUMB_EDGE, { quality = 0.82, keepUnder = 200_000 }: ScaleOptions = {}): Promise<Blob> {
  if (typeof createImageBitmap !== "function") return blob;
  let bitmap: ImageBitmap;
  try {
    // Decoding applies the photo's EXIF orientation (imageOrientation "from-image", the
    // default), so the pixels drawn below are upright; the JPEG written has no EXIF left,
    // so nothing can rotate it twice (and no location tag goes with it).
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
  } catch {
    return blob;
  }
  try {
    const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && blob.size < keepUnder) return blob;
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    return (await encodeJpeg(bitmap, w, h, quality)) ?? blob;
  } finally {
    bitmap.close();
  }
}

/** Draws on white (a transparent PNG would turn black as a JPEG) and encodes; OffscreenCanvas where there is one. */
async function encodeJpeg(bitmap: ImageBitmap, w: number, h: number, quality: number): Promise<Blob | null> {
  const draw = (ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D) => {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
  };
  if (typeof OffscreenCanvas === "function") {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext("2d");
    if (!ctx) return null;
    draw(ctx);
    return canvas.convertToBlob({ type: "image/jpeg", quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  draw(ctx);
  return new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

/** A photo as it is sent: at most SEND_EDGE on its long side, re-encoded when large (over 1 MB). */
export const shrinkPhoto = (blob: Blob) => scaleImage(blob, SEND_EDGE, { quality: SEND_QUALITY, keepUnder: 1_000_000 });

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
