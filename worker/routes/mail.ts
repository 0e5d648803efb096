import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { FILE_LIMIT, LIMITS, type Mail, mailQuery, mailReadBody } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import { cleanName, fileType, storeFile } from "../connectors/media";
import { db } from "../db/client";
import { media as mediaTable } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, fail, orThrow } from "../errors";
import { emptyUpload, openUpload } from "../media/upload";
import { json, query } from "../validate";

// The Mail tab: the user's mail from the own address and every bound mailbox, served from
// the user's own hub (newest first); new mail also arrives live as `mail` events. HTML is
// served as it came and sanitised on the client. Attachments are served as downloads only.
const CACHE_CONTROL = "private, max-age=31536000, immutable";
const mailNotFound = () => fail("mail_not_found", "no such mail");

export const mailRoute = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", query(mailQuery), async (c) => {
    const q = c.req.valid("query");
    const { ok: _, ...page } = orThrow(await hubOf(c.env, c.get("userId")).listMail(q.account, q.before ? Number(q.before) : undefined, q.limit ?? LIMITS.pageSize));
    return c.json(page);
  })
  /** A file to attach to a mail you write: the raw bytes, `?name=` the file's name. Kept as a `file` (download only). */
  .post("/attachments", async (c) => {
    const owner = c.get("userId");
    const upload = await openUpload(c.req.raw);
    if (upload.length !== null && upload.length > FILE_LIMIT) throw tooLarge();
    const bytes = await collect(upload.chunks, FILE_LIMIT);
    if (bytes.length === 0) throw emptyUpload();
    const filename = cleanName(c.req.query("name") ?? "attachment");
    const { id } = await storeFile(c.env, owner, bytes, upload.declared, filename);
    const file = { id, filename, mime: fileType(upload.declared), size: bytes.length };
    await hubOf(c.env, owner).mailFileUploaded(file);
    return c.json({ media: { id, type: "file" as const, mime: file.mime, size: file.size } }, 201);
  })
  .get("/:id", async (c) => {
    const mail: Mail | null = await hubOf(c.env, c.get("userId")).readMail(c.req.param("id"));
    if (!mail) throw mailNotFound();
    return c.json({ mail });
  })
  .post("/:id/read", json(mailReadBody), async (c) => {
    const found = await hubOf(c.env, c.get("userId")).markMailRead(c.req.param("id"), c.req.valid("json").read ?? true);
    if (!found) throw mailNotFound();
    return c.json({ ok: true as const });
  })
  /** One attachment of one of your mails, always as a download (never shown as a page from our origin). */
  .get("/:id/attachments/:media", async (c) => {
    const me = c.get("userId");
    const media = c.req.param("media");
    const att = await hubOf(c.env, me).mailAttachment(c.req.param("id"), media);
    const row = att ? await db(c.env.DB).query.media.findFirst({ where: eq(mediaTable.id, media) }) : undefined;
    const object = row && row.owner === me ? await c.env.MEDIA.get(row.key) : null;
    if (!att || !object) throw fail("media_not_found", "no such attachment");
    return new Response(object.body, {
      headers: {
        "Content-Type": fileType(att.mime),
        "Content-Length": String(object.size),
        "Content-Disposition": contentDisposition(att.filename),
        "X-Content-Type-Options": "nosniff",
        // Opened in a tab anyway, it can run nothing and load nothing.
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": CACHE_CONTROL,
      },
    });
  });

const tooLarge = () => new ApiError("media_too_large", `an attachment is limited to ${FILE_LIMIT / (1024 * 1024)} MB`, { limit: FILE_LIMIT });

/**
 * The bytes of a file upload, refused past `limit`. Held whole (at most 25 MB) so the
 * file's name goes into the R2 object's metadata with it, where the send path reads it.
 */
async function collect(chunks: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    parts.push(chunk);
  }
  const out = new Uint8Array(size);
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** RFC 6266: an ASCII fallback name and the exact one as RFC 8187 UTF-8. */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
