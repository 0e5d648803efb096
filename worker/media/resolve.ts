import { ApiError } from "../errors";
import { MEDIA_LIMITS, type MediaKind } from "../../core/protocol";
import type { Sniffed } from "./sniff";

/** What the uploader's Content-Type claims, reduced to what we decide on. */
export type Claim = MediaKind | "none" | "other";

/**
 * `image/*`, `audio/*`, `video/*` name a kind. A missing type, or
 * `application/octet-stream` (what a browser sends when it does not know), claims
 * nothing. Any other type (text/plain, application/pdf…) is a claim we can contradict.
 */
export function claimOf(contentType: string | null | undefined): Claim {
  const essence = essenceOf(contentType);
  if (essence === "" || essence === "application/octet-stream") return "none";
  const top = essence.split("/")[0];
  return top === "image" || top === "audio" || top === "video" ? top : "other";
}

export const unsupportedType = () =>
  new ApiError("unsupported_media_type", "we take JPEG, PNG, WebP, GIF or HEIC pictures, WebM, Ogg, MP4/M4A or MP3 audio, and WebM or MP4 video; this file is none of them");

/**
 * The kind and media type we store, from the sniffed bytes and the declared type.
 *
 * Decision (docs/architecture.md, "Media"): the bytes decide the format; the declared
 * type is only checked for its family. Pictures are one family, clips (audio and video)
 * the other. A PNG sent as image/jpeg, or an MP3 a browser labels video/mpeg, is stored
 * as what it is: we serve the sniffed type with `nosniff`, so a wrong label harms nobody,
 * and refusing it would punish users for their phone's guess. A clip sent as a picture,
 * a picture sent as audio, or any media sent under a non-media type contradicts the
 * claim → 415 `media_type_mismatch`.
 */
export function resolveType(sniffed: Sniffed | null, declared: string | null): { kind: MediaKind; mime: string } {
  if (!sniffed) throw unsupportedType();
  const claim = claimOf(declared);
  const kinds = Object.keys(sniffed.as) as MediaKind[];
  const family = (k: MediaKind) => (k === "image" ? "picture" : "clip");
  if (claim === "other" || (claim !== "none" && family(claim) !== family(kinds[0]!))) {
    const what = kinds.length > 1 ? "an audio or video clip" : kinds[0] === "image" ? "a picture" : `a ${kinds[0]} clip`;
    throw new ApiError("media_type_mismatch", `the file is ${sniffed.format} (${what}) but was sent as ${essenceOf(declared)}`);
  }
  // WebM and plain MP4 carry audio alone or video, and their header does not say which
  // (that needs the track list, which may come megabytes later). Both are allowed, so
  // the declared top-level type picks: audio/* → audio, video/* → video. With no claim
  // we call it video, which a player shows correctly either way.
  const kind = kinds.length === 1 ? kinds[0]! : claim === "audio" ? "audio" : "video";
  return { kind, mime: sniffed.as[kind]! };
}

/**
 * The largest upload the declared type could still make valid, to refuse an oversized
 * Content-Length before reading a byte. With no kind claimed it is the largest limit;
 * the kind's own limit is enforced again on the bytes once they are sniffed.
 */
export function limitForClaim(claim: Claim): number {
  return claim === "image" || claim === "audio" || claim === "video" ? MEDIA_LIMITS[claim] : MAX_UPLOAD;
}

/** The largest upload of any kind. */
export const MAX_UPLOAD = Math.max(...Object.values(MEDIA_LIMITS));

export const tooLarge = (kind: MediaKind | null, limit: number) =>
  new ApiError("media_too_large", `${kind ? `${kind} uploads are` : "an upload is"} limited to ${limit / (1024 * 1024)} MB`, { limit });

function essenceOf(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}
