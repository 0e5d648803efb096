// Matrix message content ↔ Unibox bodies (client-server API, "Instant Messaging": m.room.message
// msgtypes). Inbound: m.text, m.notice, m.emote as text; m.image, m.video, m.audio through the
// media store; m.location as a location; anything else shows its `body`, the fallback the spec
// tells clients to display for a msgtype they do not know.
import { type Body, LIMITS } from "../../../core/protocol";
import type { MediaIO, Outbound } from "../types";
import { imageSize } from "./media";

type Content = Record<string, unknown>;

export type Fetched = { bytes: Uint8Array; mime: string };

/** Separates a remote id's event id from its room id; event ids never hold it. */
const SEP = "|";

/** Our remote ids: event ids are only unique with their room, and receipts need the room. */
export const remoteId = (roomId: string, eventId: string) => `${eventId}${SEP}${roomId}`;

export function parseRemoteId(id: string): { roomId: string; eventId: string } | undefined {
  const at = id.indexOf(SEP);
  if (at < 1 || !id.startsWith("$")) return undefined;
  return { eventId: id.slice(0, at), roomId: id.slice(at + 1) };
}

/** Long remote texts are cut to what a Unibox text body holds. */
export const clip = (text: string, max: number = LIMITS.textChars) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** An edit (m.replace) is not a new message; Unibox has no edits yet, so it is skipped. */
export const isEdit = (c: Content) => (c["m.relates_to"] as { rel_type?: unknown } | undefined)?.rel_type === "m.replace";

/**
 * The body for an m.room.message content, or undefined for one with nothing to show.
 * `fetch` downloads an mxc:// URI (undefined when the media is gone or too big).
 */
export async function inboundBody(c: Content, senderName: string, media: MediaIO, fetch: (mxc: string) => Promise<Fetched | undefined>): Promise<Body | undefined> {
  const body = str(c.body) ?? "";
  switch (c.msgtype) {
    case "m.text":
    case "m.notice":
      return text(body);
    case "m.emote":
      return text(`* ${senderName} ${body}`);
    case "m.image":
    case "m.video":
    case "m.audio":
      return (await mediaBody(c, body, media, fetch)) ?? text(fallback(c.msgtype, body));
    case "m.location":
      return location(c, body) ?? text(body);
    default:
      return text(body);
  }
}

const text = (t: string): Body | undefined => (t.trim() ? { type: "text", text: clip(t.trim()) } : undefined);

const fallback = (msgtype: string, body: string) => `[${msgtype.slice(2)}] ${body}`.trim();

async function mediaBody(c: Content, body: string, media: MediaIO, fetch: (mxc: string) => Promise<Fetched | undefined>): Promise<Body | undefined> {
  // Encrypted media (content.file) only appears in encrypted rooms, which are not supported.
  const url = str(c.url);
  if (!url) return undefined;
  const got = await fetch(url);
  if (!got) return undefined;
  const info = (c.info ?? {}) as Content;
  const declared = str(info.mimetype) ?? got.mime;
  let stored: { id: string; type: "image" | "audio" | "video" };
  try {
    stored = await media.put(got.bytes, declared, str(c.filename) ?? body);
  } catch {
    return undefined; // a type or size Unibox does not keep: the text fallback says what it was
  }
  // Since v1.10 a `filename` that differs from `body` makes `body` the caption.
  const filename = str(c.filename);
  const caption = filename && body && body !== filename ? body.slice(0, 1000) : undefined;
  return { type: stored.type, media: stored.id, ...(caption ? { caption } : {}) };
}

/** geo:lat,lng[;u=uncertainty] (RFC 5870), as m.location's geo_uri. */
function location(c: Content, body: string): Body | undefined {
  const m = /^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:,[^;]*)?(?:;u=(\d+(?:\.\d+)?))?/.exec(str(c.geo_uri) ?? "");
  if (!m) return undefined;
  const [lat, lng] = [Number(m[1]), Number(m[2])];
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) return undefined;
  return { type: "location", lat, lng, ...(m[3] ? { accuracy: Number(m[3]) } : {}), ...(body ? { label: body.slice(0, 200) } : {}) };
}

// ---- outbound ------------------------------------------------------------------------------

const MSGTYPE = { image: "m.image", video: "m.video", audio: "m.audio", file: "m.file" } as const;

/** Whether a body can go to Matrix (emails cannot). */
export const sendable = (body: Body) => body.type !== "email";

/** The m.room.message content for a body; a media body needs the mxc URI of its upload. */
export function outboundContent(out: Outbound, mxc?: string): Content {
  const body = out.body;
  const reply = out.replyTo && parseRemoteId(out.replyTo);
  const relates = reply ? { "m.relates_to": { "m.in_reply_to": { event_id: reply.eventId } } } : {};
  switch (body.type) {
    case "text":
      return { msgtype: "m.text", body: body.text, ...relates };
    case "location":
      return { msgtype: "m.location", body: body.label ?? `${body.lat},${body.lng}`, geo_uri: `geo:${body.lat},${body.lng}${body.accuracy ? `;u=${body.accuracy}` : ""}`, ...relates };
    case "image":
    case "video":
    case "audio":
    case "file": {
      const file = out.media!;
      const size = body.type === "image" ? imageSize(file.bytes) : undefined;
      const info = { mimetype: file.mime, size: file.bytes.byteLength, ...(size ?? {}) };
      // A caption is `body` with the file's name in `filename` (v1.10 "Media captions").
      const named = body.caption ? { body: body.caption, filename: file.filename } : { body: file.filename };
      return { msgtype: MSGTYPE[body.type], ...named, url: mxc, info, ...relates };
    }
    case "email":
      throw new Error("emails do not go to Matrix");
  }
}
