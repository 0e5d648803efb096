// Pictures and clips that arrive from a network are stored like uploads (R2, a D1 row, the
// owner's hub told), so a message body can carry them by id and GET /api/media serves them.
import { eq } from "drizzle-orm";
import { newId } from "../../core/ids";
import { MEDIA_LIMITS, type MediaKind } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { db } from "../db/client";
import { media as mediaTable } from "../db/schema";
import type { Env } from "../env";
import { resolveType } from "../media/resolve";
import { SNIFF_BYTES, sniff } from "../media/sniff";
import { RemoteError } from "./types";

export async function storeRemoteMedia(env: Env, owner: string, bytes: Uint8Array, declared: string, _filename?: string) {
  let kind: MediaKind;
  let mime: string;
  try {
    ({ kind, mime } = resolveType(sniff(bytes.subarray(0, SNIFF_BYTES)), declared));
  } catch {
    throw new RemoteError("permanent", `media of type ${declared} is not one Unibox shows`);
  }
  if (bytes.byteLength > MEDIA_LIMITS[kind]) throw new RemoteError("permanent", `a ${kind} over ${MEDIA_LIMITS[kind]} bytes`);
  const id = newId("md");
  const key = `${owner}/${id}`;
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: mime } });
  // Arrived in a message: "sent" already, so the unsent-upload sweep leaves it alone.
  await db(env.DB).insert(mediaTable).values({ id, owner, kind, mime, size: bytes.byteLength, key, sentAt: Date.now() });
  await hubOf(env, owner).mediaUploaded({ id, type: kind });
  return { id, type: kind };
}

export async function readMedia(env: Env, id: string): Promise<{ bytes: Uint8Array; mime: string } | null> {
  const row = await db(env.DB).query.media.findFirst({ where: eq(mediaTable.id, id) });
  if (!row) return null;
  const object = await env.MEDIA.get(row.key);
  return object ? { bytes: new Uint8Array(await object.arrayBuffer()), mime: row.mime } : null;
}
