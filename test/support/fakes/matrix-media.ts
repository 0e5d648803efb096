// The content repository: upload (content-repo.yaml, still under /_matrix/media/v3) and
// downloads through the authenticated endpoints (authed-content-repo.yaml, v1.11+). The
// deprecated unauthenticated download is "frozen" by default, as the spec tells servers to
// do from v1.12 on (matrix.org did in 2024): media uploaded after the freeze answers 404.
import { randomBytes } from "node:crypto";
import { notFound, tooLarge } from "./matrix-errors";
import type { HomeserverState, Media } from "./matrix-store";
import { Answer, type Ctx, type Route } from "./matrix-routes";

export type MediaOptions = { maxUploadBytes: number; legacyMedia: "frozen" | "served" };

/** The spec's list of types that may be served `inline` ("Serving inline content"). */
const INLINE_TYPES = new Set([
  "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
  "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
  "video/mp4", "video/webm", "video/ogg", "video/quicktime",
  "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wav", "audio/flac", "audio/x-flac",
]);

const seg = "([^/]+)";

export function mediaRoutes(hs: HomeserverState, opts: MediaOptions): Route[] {
  const download = (ctx: Ctx) => serve(hs, ctx.params[0]!, ctx.params[1]!, ctx.params[2]);
  const legacy = (ctx: Ctx) => {
    if (opts.legacyMedia === "frozen") throw notFound("Not found");
    return download(ctx);
  };
  return [
    {
      method: "POST", path: /^\/_matrix\/media\/v3\/upload$/, auth: "required",
      handle: async (ctx) => {
        const bytes = await ctx.raw();
        if (bytes.length > opts.maxUploadBytes) throw tooLarge("Upload request body is too large");
        const media: Media = {
          serverName: hs.serverName,
          mediaId: randomBytes(18).toString("base64url"),
          contentType: ctx.contentType || "application/octet-stream",
          filename: ctx.url.searchParams.get("filename") ?? undefined,
          bytes,
          uploadedAt: Date.now(),
        };
        hs.media.set(`${media.serverName}/${media.mediaId}`, media);
        return { content_uri: `mxc://${media.serverName}/${media.mediaId}` };
      },
    },
    { method: "GET", path: /^\/_matrix\/client\/v1\/media\/config$/, auth: "required", handle: () => ({ "m.upload.size": opts.maxUploadBytes }) },
    { method: "GET", path: new RegExp(`^/_matrix/client/v1/media/download/${seg}/${seg}(?:/${seg})?$`), auth: "required", handle: download },
    { method: "GET", path: new RegExp(`^/_matrix/media/v3/download/${seg}/${seg}(?:/${seg})?$`), auth: "none", handle: legacy },
  ];
}

function serve(hs: HomeserverState, serverName: string, mediaId: string, fileName: string | undefined): Answer {
  const media = hs.media.get(`${serverName}/${mediaId}`);
  if (!media) throw notFound("Not found");
  const name = fileName ?? media.filename;
  const disposition = INLINE_TYPES.has(media.contentType.split(";")[0]!.trim()) ? "inline" : "attachment";
  return new Answer(200, media.bytes, {
    "content-type": media.contentType,
    "content-disposition": name ? `${disposition}; ${filenameParam(name)}` : disposition,
    "cross-origin-resource-policy": "cross-origin",
  });
}

/** RFC 6266: a quoted `filename` when it is plain ASCII, else the RFC 8187 `filename*` form. */
function filenameParam(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name) ? `filename="${name}"` : `filename*=utf-8''${encodeURIComponent(name)}`;
}
