// The cron's sweep of uploads that no message ever carried. Needs the owner hub's
// `releaseUnsentMedia` RPC (the hub is the only place that knows what a send carried).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../index";
import { api, befriend, Client, register, type TestUser } from "../test/helpers";
import { sweepUnsentMedia, UNSENT_MAX_AGE_MS } from "./sweep";
import { png1x1 } from "./test-samples";

const upload = async (who: TestUser) => (await api("/api/media", { method: "POST", token: who.token, body: await png1x1(), headers: { "Content-Type": "image/png" } })).data.media.id as string;
const served = async (who: TestUser, id: string) => (await exports.default.fetch(`http://unibox.test/api/media/${id}`, { headers: { Authorization: `Bearer ${who.token}` } })).status;
const age = (ids: string[], ms: number) => env.DB.prepare(`UPDATE media SET created_at = created_at - ? WHERE id IN (${ids.map(() => "?").join(",")})`).bind(ms, ...ids).run();
const inR2 = async (who: TestUser, id: string) => (await env.MEDIA.head(`${who.user.id}/${id}`)) !== null;

describe("the unsent-upload sweep", () => {
  it("deletes old uploads no message carried, never a sent one, and a late send of a swept one is refused", async () => {
    const [a, b] = [await register("sweepa"), await register("sweepb")];
    await befriend(a, b);
    const [sent, unsent, recent] = [await upload(a), await upload(a), await upload(a)];
    const alice = await Client.open(a.token, 0);
    alice.send({ t: "send", id: "sw-1", to: { user: b.user.id }, body: { type: "image", media: sent } });
    await alice.next((f) => f.t === "accepted" && f.id === "sw-1");
    // Nobody has looked at the sent one yet: only the hub knows a message carries it.
    await age([sent, unsent], UNSENT_MAX_AGE_MS + 60_000);

    // Before, nothing ever removed an upload.
    expect(await sweepUnsentMedia(env)).toEqual({ deleted: 1, sent: 1 });
    expect(await inR2(a, unsent)).toBe(false);
    expect(await served(a, unsent)).toBe(404);
    expect(await inR2(a, sent)).toBe(true);
    expect(await served(b, sent)).toBe(200);
    expect(await served(a, recent)).toBe(200);
    const row = await env.DB.prepare("SELECT sent_at FROM media WHERE id = ?").bind(sent).first<{ sent_at: number | null }>();
    expect(row!.sent_at).toEqual(expect.any(Number));

    // A phone that kept the swept upload in its outbox gets a clear refusal, not a broken picture.
    alice.send({ t: "send", id: "sw-2", to: { user: b.user.id }, body: { type: "image", media: unsent } });
    expect(await alice.next((f) => f.t === "error" && f.id === "sw-2")).toMatchObject({ code: "invalid_media" });
    // The sent one is never asked about again.
    expect(await sweepUnsentMedia(env)).toEqual({ deleted: 0, sent: 0 });
    alice.close();
  });

  it("runs from the cron", async () => {
    const a = await register("sweepcron");
    const id = await upload(a);
    await age([id], UNSENT_MAX_AGE_MS + 60_000);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await inR2(a, id)).toBe(false);
  });
});
