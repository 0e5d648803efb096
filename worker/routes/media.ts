import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { media as mediaTable } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, fail } from "../errors";
import { hubOf } from "../../durable-objects/stubs";
import { newId } from "../../core/ids";
import { contentRange, parseRange } from "../media/range";
import { resolveType, tooLarge } from "../media/resolve";
import { SNIFF_BYTES, sniff } from "../media/sniff";
import { storeUpload } from "../media/store";
import { emptyUpload, openUpload, peek } from "../media/upload";
import { quotaExceeded, quotaLeft } from "../media/quota";
import { rateLimit } from "../auth/rate-limit";
import { MEDIA_LIMITS, type Media } from "../../core/protocol";

// Uploads are immutable and their ids unguessable, so a device may keep them for a year;
// `private` keeps shared caches out, since who may see one is decided per user.
const CACHE_CONTROL = "private, max-age=31536000, immutable";

const mediaNotFound = () => fail("media_not_found", "no such media, or it is not yours to see");

export const media = new Hono<AppEnv>()
  .use(requireUser)
  .post("/", async (c) => {
    const owner = c.get("userId");
    await rateLimit(c.env, "RATE_UPLOADS", owner);
    const room = await quotaLeft(c.env, owner);
    if (room <= 0) throw quotaExceeded(c.env);
    const upload = await openUpload(c.req.raw);
    const { head, all } = await peek(upload.chunks, SNIFF_BYTES);
    if (head.length === 0) throw emptyUpload();
    const { kind, mime } = resolveType(sniff(head), upload.declared);
    const limit = MEDIA_LIMITS[kind];
    if (upload.length !== null && upload.length > limit) throw tooLarge(kind, limit);
    if (upload.length !== null && upload.length > room) throw quotaExceeded(c.env);

    const id = newId("md");
    const key = `${owner}/${id}`;
    // Counted as the bytes arrive: whichever of the kind's limit and the room left comes first.
    const cap = Math.min(limit, room);
    const overLimit = () => (cap < limit ? quotaExceeded(c.env) : tooLarge(kind, limit));
    const size = await storeUpload(c.env.MEDIA, all, { key, contentType: mime, limit: cap, overLimit });
    // The row only once R2 holds the bytes, so a row always has its object; then the
    // owner's hub, which checks ownership on send without D1. If either fails, undo
    // both: the client retries a failed upload from scratch.
    try {
      await db(c.env.DB).insert(mediaTable).values({ id, owner, kind, mime, size, key });
      await hubOf(c.env, owner).mediaUploaded({ id, type: kind });
    } catch (err) {
      await discard(c.env, id, key);
      throw err;
    }
    return c.json({ media: { id, type: kind, mime, size } satisfies Media }, 201);
  })
  .get("/:id", async (c) => {
    const me = c.get("userId");
    const id = c.req.param("id");
    const row = id.length <= 64 ? await db(c.env.DB).query.media.findFirst({ where: eq(mediaTable.id, id) }) : undefined;
    if (!row) throw mediaNotFound();
    // Everyone but the uploader asks their own hub: it knows which of their
    // conversations carry the media, and for groups whether they are still in them.
    if (row.owner !== me && !(await hubOf(c.env, me).canSeeMedia(id))) throw mediaNotFound();
    // Someone else may see it, so a message carries it: the unsent-upload sweep must never look at it again.
    if (row.owner !== me && row.sentAt === null) c.executionCtx.waitUntil(markSent(c.env, id));

    const range = parseRange(c.req.header("Range"), row.size);
    if (range === "unsatisfiable") {
      throw new ApiError("range_not_satisfiable", `the range is outside the file's ${row.size} bytes`, { size: row.size }, { "Content-Range": `bytes */${row.size}` });
    }
    const object = await c.env.MEDIA.get(row.key, range ? { range } : {});
    if (!object) {
      console.error(`Error in media get: row without object media=${id} key=${row.key}`);
      throw mediaNotFound();
    }
    const headers = new Headers({
      "Content-Type": row.mime,
      "Content-Length": String(range ? range.length : row.size),
      "Cache-Control": CACHE_CONTROL,
      "Accept-Ranges": "bytes",
      // Serve exactly the sniffed type: a browser must never re-guess it as HTML.
      "X-Content-Type-Options": "nosniff",
      ETag: object.httpEtag,
    });
    if (range) headers.set("Content-Range", contentRange(range, row.size));
    return new Response(object.body, { status: range ? 206 : 200, headers });
  });

async function markSent(env: Env, id: string): Promise<void> {
  await db(env.DB).update(mediaTable).set({ sentAt: Date.now() }).where(and(eq(mediaTable.id, id), isNull(mediaTable.sentAt)));
}

/** Best effort, each half on its own: the error that led here is the one the client sees. */
async function discard(env: Env, id: string, key: string): Promise<void> {
  const results = await Promise.allSettled([db(env.DB).delete(mediaTable).where(eq(mediaTable.id, id)), env.MEDIA.delete(key)]);
  for (const r of results) if (r.status === "rejected") console.error(`Error in media discard: media=${id} key=${key}`, r.reason);
}
