// A Telegram bot bound through the real API under wrangler dev, against the Bot API fake
// (test/support/fakes/telegram.ts): setWebhook with a secret, updates pushed to our webhook
// (a wrong secret refused, nothing stored), 20 messages in order, a photo stored like a
// native picture, replies in text and photo, a 429 obeyed, deleteWebhook on removal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent } from "../../../core/protocol";
import { bind, call, openPhone, type Phone, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { FakeTelegram } from "../../support/fakes/telegram";
import { pngOfSize } from "../../support/fakes/telegram-images";

let server: DevServer;
let tg: FakeTelegram;
let phone: Phone;
let token: string;
let accountId: string;
const messages = (p: Phone) => p.events.filter((e): e is Extract<HubEvent, { type: "message" }> => e.type === "message");

beforeAll(async () => {
  tg = await new FakeTelegram({ allowLoopbackHttp: true, webhookRetryMs: 200 }).start();
  server = await startDevServer({ vars: { TELEGRAM_API_ROOT: tg.apiRoot } });
  phone = await openPhone(server.url, await signUp(server.url, "tgowner"));
  token = tg.addBot("unibox_test_bot").token;
});

afterAll(async () => {
  phone?.close();
  await server?.stop();
  await tg?.stop();
});

describe("a bound Telegram bot", () => {
  it("refuses a bad token and stores nothing", async () => {
    const res = await bind(server.url, phone.session, "telegram", { token: "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("bad_credentials");
    expect((await call(server.url, "/api/accounts", { token: phone.session.token })).accounts).toEqual([]);
  });

  it("sets its webhook with a secret, and a push with a wrong secret is refused", async () => {
    const res = await bind(server.url, phone.session, "telegram", { token }, "Shop bot");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    accountId = res.body.account.id;
    const hook = tg.webhook(token);
    expect(hook.url).toBe(`${server.url}/hooks/telegram/${accountId}`);
    expect(hook.secretToken).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
    const forged = await fetch(hook.url!, { method: "POST", headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "not-the-secret" }, body: JSON.stringify({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1, type: "private" }, text: "forged" } }) });
    expect(forged.status).toBe(401);
    const bare = await fetch(hook.url!, { method: "POST", body: "{}" });
    expect(bare.status).toBe(401);
    const unknown = await fetch(`${server.url}/hooks/telegram/a_nobody`, { method: "POST", headers: { "X-Telegram-Bot-Api-Secret-Token": hook.secretToken! }, body: "{}" });
    expect(unknown.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(messages(phone).some((m) => m.msg.body.type === "text" && m.msg.body.text === "forged")).toBe(false);
  });

  it("takes 20 messages in order, then a photo as a picture", async () => {
    for (let i = 0; i < 20; i++) tg.userSays(token, { chat: { type: "private", id: 4242 }, from: { id: 4242, first_name: "Dana", username: "dana" }, text: `tg ${i}` });
    const got = await phone.waitEvents((e) => e.type === "message" && e.conv.startsWith(`r:${accountId}:`), 20, 30_000, "telegram messages");
    expect(got.map((e) => ((e as Extract<HubEvent, { type: "message" }>).msg.body as { text: string }).text)).toEqual(Array.from({ length: 20 }, (_, i) => `tg ${i}`));
    const first = got[0] as Extract<HubEvent, { type: "message" }>;
    expect(first.msg).toMatchObject({ source: accountId, name: expect.stringContaining("Dana") });

    tg.userSays(token, { chat: { type: "private", id: 4242 }, from: { id: 4242, first_name: "Dana" }, photo: pngOfSize(64, 48), caption: "our storefront" });
    const pic = await phone.waitEvent<Extract<HubEvent, { type: "message" }>>((e) => e.type === "message" && e.msg.body.type === "image", 30_000, "a picture");
    expect(pic.msg.body).toMatchObject({ type: "image", caption: "our storefront" });
    const media = await fetch(`${server.url}/api/media/${(pic.msg.body as { media: string }).media}`, { headers: { Authorization: `Bearer ${phone.session.token}` } });
    expect(media.status).toBe(200);
    expect(media.headers.get("Content-Type")).toBe("image/png");
  });

  it("replies in text and with a photo, obeying a 429", async () => {
    const conv = messages(phone).find((m) => m.conv.startsWith(`r:${accountId}:`))!.conv;
    tg.limitNext(token, 1, 1);
    phone.send({ t: "send", id: "tg-reply-1", to: { conv }, body: { type: "text", text: "thanks, Dana" } });
    const sent = await phone.waitEvent<Extract<HubEvent, { type: "status" }>>((e) => e.type === "status" && e.state === "sent" && e.conv === conv, 30_000, "sent status");
    expect(sent.msgIds).toHaveLength(1);
    expect(tg.sent(token).filter((m) => m.message.text === "thanks, Dana")).toHaveLength(1);

    const upload = await fetch(`${server.url}/api/media`, { method: "POST", headers: { "Content-Type": "image/png", Authorization: `Bearer ${phone.session.token}` }, body: pngOfSize(32, 32) });
    const { media } = (await upload.json()) as { media: { id: string } };
    phone.send({ t: "send", id: "tg-reply-2", to: { conv }, body: { type: "image", media: media.id, caption: "here you go" } });
    await phone.waitEvents((e) => e.type === "status" && e.state === "sent" && e.conv === conv, 2, 30_000, "sent statuses");
    const photo = tg.sent(token).find((m) => m.method === "sendPhoto");
    expect(photo?.message.caption).toBe("here you go");
    expect(photo?.photo?.length).toBeGreaterThan(50);
  });

  it("deletes its webhook when the account is removed, and keeps the history read-only", async () => {
    const res = await fetch(`${server.url}/api/accounts/${accountId}`, { method: "DELETE", headers: { Authorization: `Bearer ${phone.session.token}` } });
    expect(await res.json()).toEqual({ ok: true, history: "kept" });
    expect(tg.webhook(token).url).toBeFalsy();
    const conv = messages(phone).find((m) => m.conv.startsWith(`r:${accountId}:`))!.conv;
    const page = await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages`, { token: phone.session.token });
    expect(page.messages.length).toBeGreaterThanOrEqual(22);
    phone.send({ t: "send", id: "tg-after", to: { conv }, body: { type: "text", text: "still there?" } });
    await new Promise((r) => setTimeout(r, 500));
    expect(phone.frames.find((f) => f.t === "error" && f.id === "tg-after")).toMatchObject({ code: "account_removed" });
  });
});
