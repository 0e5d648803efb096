// Pictures and clips that arrive from a network are stored like uploads (R2, a D1 row, the
// owner's hub told), so a message body can carry them by id and GET /api/media serves them.
// A mail's other attachments (PDF, zip…) are kept too, as the kind `file`.
import { eq } from "drizzle-orm";
import { newId } from "../../core/ids";
import { FILE_LIMIT, MEDIA_LIMITS, type MediaKind, type StoredKind } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { db } from "../db/client";
import { media as mediaTable } from "../db/schema";
import type { Env } from "../env";
import { resolveType } from "../media/resolve";
import { SNIFF_BYTES, sniff } from "../media/sniff";
import { RemoteError } from "./types";

/**
 * What the D1 row of a `file` says its type is. GET /api/media/:id serves a row's type as
 * it is, and a mail's HTML or SVG attachment must never be served as a page from our
 * origin: as application/octet-stream (with nosniff) a browser only ever downloads it. The
 * real type and name are in the R2 object's metadata, which the mail route serves with
 * Content-Disposition: attachment.
 */
export const FILE_ROW_MIME = "application/octet-stream";

export async function storeRemoteMedia(env: Env, owner: string, bytes: Uint8Array, declared: string, filename?: string) {
  let kind: MediaKind;
  let mime: string;
  try {
    ({ kind, mime } = resolveType(sniff(bytes.subarray(0, SNIFF_BYTES)), declared));
  } catch {
    throw new RemoteError("permanent", `media of type ${declared} is not one Unibox shows`);
  }
  if (bytes.byteLength > MEDIA_LIMITS[kind]) throw new RemoteError("permanent", `a ${kind} over ${MEDIA_LIMITS[kind]} bytes`);
  return keep(env, owner, bytes, { kind, mime, rowMime: mime, filename });
}

/**
 * A mail attachment: a picture or clip as storeRemoteMedia keeps it, anything else (or a
 * picture over the picture limit) as a `file` of up to FILE_LIMIT bytes.
 */
export async function storeRemoteFile(env: Env, owner: string, bytes: Uint8Array, declared: string, filename: string): Promise<{ id: string; type: StoredKind }> {
  try {
    return await storeRemoteMedia(env, owner, bytes, declared, filename);
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err; // R2 or D1 failed: not a question of type
  }
  return storeFile(env, owner, bytes, declared, filename);
}

/** Any bytes as a `file` (what a mail's compose attaches), whatever they are. */
export async function storeFile(env: Env, owner: string, bytes: Uint8Array, declared: string | null, filename: string): Promise<{ id: string; type: "file" }> {
  if (bytes.byteLength > FILE_LIMIT) throw new RemoteError("permanent", `a file over ${FILE_LIMIT} bytes`);
  return keep(env, owner, bytes, { kind: "file", mime: fileType(declared), rowMime: FILE_ROW_MIME, filename });
}

/** A declared type as a plain type/subtype, or application/octet-stream for anything odd. */
export function fileType(declared: string | null | undefined): string {
  const essence = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  return /^[a-z0-9][\w.+-]*\/[a-z0-9][\w.+-]*$/.test(essence) ? essence : FILE_ROW_MIME;
}

type Kept<K extends StoredKind> = { kind: K; mime: string; rowMime: string; filename?: string };

async function keep<K extends StoredKind>(env: Env, owner: string, bytes: Uint8Array, k: Kept<K>): Promise<{ id: string; type: K }> {
  const id = newId("md");
  const key = `${owner}/${id}`;
  const filename = k.filename ? cleanName(k.filename) : undefined;
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: k.mime }, ...(filename ? { customMetadata: { filename } } : {}) });
  // Arrived with a message or a mail: "sent" already, so the unsent-upload sweep leaves it alone.
  await db(env.DB).insert(mediaTable).values({ id, owner, kind: k.kind, mime: k.rowMime, size: bytes.byteLength, key, sentAt: Date.now() });
  await hubOf(env, owner).mediaUploaded({ id, type: k.kind });
  return { id, type: k.kind };
}

/** A file name as a download may carry it: no path, no control characters, at most 200 characters. */
export function cleanName(name: string): string {
  const base = name.replace(/[\x00-\x1f\x7f]/g, "").split(/[\\/]/).pop()!.trim();
  return [...base].slice(0, 200).join("") || "attachment";
}

/** The bytes, type and name of stored media; a `file`'s real type from its R2 metadata. */
export async function readMedia(env: Env, id: string): Promise<{ bytes: Uint8Array; mime: string; filename?: string } | null> {
  const row = await db(env.DB).query.media.findFirst({ where: eq(mediaTable.id, id) });
  if (!row) return null;
  const object = await env.MEDIA.get(row.key);
  if (!object) return null;
  const mime = (row.kind as StoredKind) === "file" ? (object.httpMetadata?.contentType ?? row.mime) : row.mime;
  const filename = object.customMetadata?.filename;
  return { bytes: new Uint8Array(await object.arrayBuffer()), mime, ...(filename ? { filename } : {}) };
}
