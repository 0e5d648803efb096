// A per-user storage quota for uploads (413) and a rate of uploads (429).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { limiterOf } from "../../durable-objects/stubs";
import { api, register, type TestUser } from "../test/helpers";
import { padded, png1x1 } from "./test-samples";

const QUOTA = Number(env.MEDIA_QUOTA_BYTES);

const upload = (who: TestUser, body: BodyInit) => api("/api/media", { method: "POST", token: who.token, body, headers: { "Content-Type": "image/png" } });

/** As if the user had stored `size` bytes already (one row; the bytes themselves do not matter here). */
async function alreadyStored(who: TestUser, size: number): Promise<void> {
  await env.DB.prepare("INSERT INTO media (id, owner, kind, mime, size, key) VALUES (?, ?, 'image', 'image/png', ?, ?)")
    .bind(`md_quota_${who.user.id}`, who.user.id, size, `${who.user.id}/old`)
    .run();
}

const objectsOf = async (who: TestUser) => (await env.MEDIA.list({ prefix: `${who.user.id}/` })).objects.length;

describe("upload quota", () => {
  it("refuses an upload that would pass the user's quota with 413 media_quota_exceeded, and keeps nothing", async () => {
    const u = await register("quota");
    await alreadyStored(u, QUOTA - 1000);
    const png = await png1x1();
    // Before, there was no quota at all.
    const over = await upload(u, padded(png, 2000));
    expect([over.status, over.data.error.code, over.data.error.details.limit]).toEqual([413, "media_quota_exceeded", QUOTA]);
    expect(await objectsOf(u)).toBe(0);
    expect((await upload(u, padded(png, 600))).status).toBe(201);
    // Without a Content-Length, counted as the bytes arrive.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent >= 3000) return ctl.close();
        ctl.enqueue(sent === 0 ? padded(png, 1000) : new Uint8Array(1000));
        sent += 1000;
      },
    });
    const streamed = await upload(u, stream);
    expect([streamed.status, streamed.data.error.code]).toEqual([413, "media_quota_exceeded"]);
    expect(await objectsOf(u)).toBe(1);
    // Exactly the 400 bytes left fit; then nothing does.
    expect((await upload(u, padded(png, 400))).status).toBe(201);
    const none = await upload(u, png);
    expect(none.data.error.code).toBe("media_quota_exceeded");
  });

  it("limits the rate of uploads per user with 429", async () => {
    const u = await register("uprate");
    const limiter = limiterOf(env, `RATE_UPLOADS:${u.user.id}`);
    // wrangler.toml: 300 an hour. Spend them directly, then one more through the route.
    for (let i = 0; i < 300; i++) await limiter.hit(300, 3600);
    const res = await upload(u, await png1x1());
    expect([res.status, res.data.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await exports.default.fetch("http://unibox.test/api/media", { method: "POST" }).then((r) => r.status)).toBe(401);
  });
});
