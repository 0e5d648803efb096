// The content repository both ways. Downloads go through the authenticated endpoint
// (/_matrix/client/v1/media/download, spec v1.11): servers froze the old unauthenticated one
// in 2024, so it is only a fallback for a homeserver too old to know the new path. Uploads
// still go to /_matrix/media/v3/upload.
import { readCapped } from "../../../core/bytes";
import { MEDIA_LIMITS } from "../../../core/protocol";
import { Homeserver, MatrixError, enc } from "./client";

/** The biggest picture, clip or sound Unibox keeps; bigger ones are not downloaded at all. */
const MAX_BYTES = Math.max(...Object.values(MEDIA_LIMITS));

export type Downloaded = { bytes: Uint8Array; mime: string };

/** mxc://<server-name>/<media-id>, as the spec's grammar allows them. */
export function parseMxc(uri: unknown): { server: string; mediaId: string } | undefined {
  if (typeof uri !== "string") return undefined;
  const m = /^mxc:\/\/([A-Za-z0-9.\-:[\]]+)\/([A-Za-z0-9_-]+)$/.exec(uri);
  return m ? { server: m[1]!, mediaId: m[2]! } : undefined;
}

export async function download(hs: Homeserver, uri: string, signal?: AbortSignal): Promise<Downloaded | undefined> {
  const mxc = parseMxc(uri);
  if (!mxc) return undefined;
  const path = `/${enc(mxc.server)}/${enc(mxc.mediaId)}`;
  let res: Response | undefined;
  try {
    res = await hs.request(`/_matrix/client/v1/media/download${path}`, { timeoutMs: 60_000, signal });
  } catch (err) {
    if (!(err instanceof MatrixError) || err.errcode !== "M_UNRECOGNIZED") return gone(err);
    res = await hs.request(`/_matrix/media/v3/download${path}`, { auth: false, timeoutMs: 60_000, signal }).catch(gone);
  }
  if (!res) return undefined;
  const bytes = await readBody(res, MAX_BYTES);
  if (!bytes) return undefined;
  return { bytes, mime: (res.headers.get("content-type") ?? "application/octet-stream").split(";")[0]!.trim() };
}

/** Media that is not there (404, 403) is shown as its text fallback; anything else is retried. */
function gone(err: unknown): undefined {
  if (err instanceof MatrixError && err.kind === "permanent") return undefined;
  throw err;
}

/** The body, or undefined when it is larger than `max` (read no further than that). */
async function readBody(res: Response, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    return undefined;
  }
  return (await readCapped(res.body, max)) ?? undefined;
}

export async function upload(hs: Homeserver, bytes: Uint8Array, mime: string, filename: string): Promise<string> {
  const res = await hs.json<{ content_uri?: string }>("/_matrix/media/v3/upload", { query: { filename }, bytes: { data: bytes, mime }, timeoutMs: 120_000 });
  if (!parseMxc(res.content_uri)) throw new MatrixError("permanent", "the homeserver's upload answer has no content_uri", 200);
  return res.content_uri!;
}

/** Width and height of a PNG, GIF or JPEG from its header, for m.image's info.w/h. */
export function imageSize(b: Uint8Array): { w: number; h: number } | undefined {
  const u32 = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  const u16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[12] === 0x49 && b[13] === 0x48) return { w: u32(16), h: u32(20) };
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return { w: b[6]! | (b[7]! << 8), h: b[8]! | (b[9]! << 8) };
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  // JPEG: walk the segments to the first start-of-frame (SOF0-SOF15 except DHT, JPG, DAC).
  for (let i = 2; i + 9 < b.length; ) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { w: u16(i + 7), h: u16(i + 5) };
    i += 2 + u16(i + 2);
  }
  return undefined;
}
