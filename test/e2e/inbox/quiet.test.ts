// Quiet hours through a real `wrangler dev` and a push service on 127.0.0.1 that checks and
// decrypts what it gets (test/support/push-service.ts). The server runs with CLOCK_CONTROL=1,
// so the test stands the user's hub at 23:00 in Berlin and then at 07:00 (PUT
// /api/settings/clock) instead of waiting a night. At night nothing is pushed, whatever the
// source (a friend, a group); at 07:00 one summary push counts them; the app has every message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeFriends, openPhone, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { PushService } from "../../support/push-service";

let server: DevServer;
let service: PushService;
let me: Session;
let bob: Session;
let carol: Session;
const BERLIN = { start: "22:00", end: "07:00", tz: "Europe/Berlin" };

beforeAll(async () => {
  server = await startDevServer({ vars: { CLOCK_CONTROL: "1" } });
  [me, bob, carol] = [await signUp(server.url, "qme"), await signUp(server.url, "qbob"), await signUp(server.url, "qcarol")];
  await makeFriends(server.url, me, bob);
  await makeFriends(server.url, bob, carol);
  const { key } = await call(server.url, "/api/push/key", { token: me.token });
  service = await new PushService(key).start();
});

afterAll(async () => {
  await service?.stop();
  await server?.stop();
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await settle(50);
  }
}

describe("quiet hours", () => {
  it("holds every push at night, sends one summary at 07:00 in the user's zone, and the app has everything", async () => {
    const phone = service.subscribe("me-phone");
    await call(server.url, "/api/push/subscriptions", { token: me.token, json: { ...phone, expirationTime: null } });
    const { settings } = await call(server.url, "/api/settings/notify/quiet", { method: "PUT", token: me.token, json: { quiet: BERLIN } });
    expect(settings.quiet).toEqual(BERLIN);
    await call(server.url, "/api/settings/clock", { method: "PUT", token: me.token, json: { now: Date.parse("2026-01-15T22:00:00Z") } }); // 23:00 in Berlin

    // A friend writes twice, and a group of Bob's says something: three pushes' worth, none sent.
    const bobs = await openPhone(server.url, bob);
    const group = await call(server.url, "/api/groups", { token: bob.token, json: { name: "Ski trip", members: [me.id, carol.id] } });
    for (const [i, to] of [{ user: me.id }, { user: me.id }, { group: group.group.id }].entries()) {
      bobs.send({ t: "send", id: `night-${i}`, to, body: { type: "text", text: `at night ${i}` } });
      await until(() => bobs.frames.find((f) => f.t === "accepted" && f.id === `night-${i}`));
    }
    await settle(2500);
    expect(service.for(phone.endpoint)).toEqual([]);

    // 07:00 in Berlin: one push, the summary of the three.
    await call(server.url, "/api/settings/clock", { method: "PUT", token: me.token, json: { now: Date.parse("2026-01-16T06:00:05Z") } });
    const summary = await until(() => service.for(phone.endpoint)[0]);
    expect(service.problems).toEqual([]);
    expect(summary.payload).toMatchObject({ v: 1, type: "summary", count: 3, titles: ["qbob", "qbob · Ski trip"] });
    expect((summary.payload as { convs: string[] }).convs).toHaveLength(2);
    await settle(1500);
    expect(service.for(phone.endpoint)).toHaveLength(1);

    // Daytime: pushed as before.
    bobs.send({ t: "send", id: "day-1", to: { user: me.id }, body: { type: "text", text: "good morning" } });
    const day = await until(() => service.for(phone.endpoint)[1]);
    expect(day.payload).toMatchObject({ type: "message", text: "good morning" });

    // In the app nothing was held back.
    const mine = await openPhone(server.url, me);
    const convs = (await call(server.url, "/api/conversations", { token: me.token })).conversations;
    const texts: string[] = [];
    for (const c of convs) texts.push(...(await call(server.url, `/api/conversations/${encodeURIComponent(c.id)}/messages`, { token: me.token })).messages.map((m: { body: { text: string } }) => m.body.text));
    expect(texts.sort()).toEqual(["at night 0", "at night 1", "at night 2", "good morning"]);
    mine.close();
    bobs.close();
  });

  it("pushes nothing for a muted conversation or while everything is muted, and every device hears of the change", async () => {
    const phone = service.subscribe("me-phone");
    const watcher = await openPhone(server.url, me);
    const conv = (await call(server.url, "/api/conversations", { token: me.token })).conversations.find((c: { kind: string }) => c.kind === "direct").id;
    await call(server.url, `/api/settings/notify/conversations/${encodeURIComponent(conv)}`, { method: "PUT", token: me.token, json: { until: null } });
    await watcher.waitEvent((e) => e.type === "settings.notify" && e.settings.muted.some((m) => m.conv === conv), 10_000, "settings event");
    watcher.close();
    await settle(500);
    const before = service.for(phone.endpoint).length;
    const bobs = await openPhone(server.url, bob);
    bobs.send({ t: "send", id: "muted-1", to: { user: me.id }, body: { type: "text", text: "muted chat" } });
    await until(() => bobs.frames.find((f) => f.t === "accepted" && f.id === "muted-1"));
    await call(server.url, `/api/settings/notify/conversations/${encodeURIComponent(conv)}`, { method: "PUT", token: me.token, json: { unmute: true } });
    await call(server.url, "/api/settings/notify/mute", { method: "PUT", token: me.token, json: { until: Date.parse("2026-01-16T12:00:00Z") } });
    bobs.send({ t: "send", id: "muted-2", to: { user: me.id }, body: { type: "text", text: "everything muted" } });
    await until(() => bobs.frames.find((f) => f.t === "accepted" && f.id === "muted-2"));
    await settle(2000);
    expect(service.for(phone.endpoint)).toHaveLength(before);
    bobs.close();
  });
});
