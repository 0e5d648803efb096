// An IRC account bound through the real API under wrangler dev, against a real ngIRCd the
// test starts and a real IRC client playing "the other person": a channel message and a
// private message each way, and the no-history notice after the link was closed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent } from "../../../core/protocol";
import { bind, call, openPhone, type Phone, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { type IrcPeer, ircPeer } from "../../support/peers/irc-peer";
import { type Ngircd, startNgircd } from "../../support/peers/ngircd";

let server: DevServer;
let irc: Ngircd;
let kim: IrcPeer;
let me: Session;
let phone: Phone;
let accountId: string;
type Msg = Extract<HubEvent, { type: "message" }>;
const text = (e: HubEvent) => ((e as Msg).msg?.body as { text?: string } | undefined)?.text;

beforeAll(async () => {
  irc = await startNgircd();
  kim = await ircPeer({ host: irc.host, port: irc.port, nick: "kim" });
  await kim.join("#unibox");
  server = await startDevServer({ vars: { PRESENCE_GRACE_SECONDS: "2" } });
  me = await signUp(server.url, "ircowner");
  phone = await openPhone(server.url, me);
});

afterAll(async () => {
  phone?.close();
  await kim?.stop();
  await server?.stop();
  await irc?.stop();
});

describe("a bound IRC account", () => {
  it("binds, joins the channel, and takes a channel and a private message", async () => {
    const res = await bind(server.url, me, "irc", { host: irc.host, port: irc.port, tls: false, nick: "uniboxer", channels: ["#unibox"] }, "Local IRC");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    accountId = res.body.account.id;
    await phone.waitEvent((e) => e.type === "account.status" && e.account === accountId && e.state === "connected", 20_000, "connected");
    await kim.waitForLine((l) => l.command === "JOIN" && l.prefix.startsWith("uniboxer"), 20_000);
    await kim.say("#unibox", "hello channel");
    await kim.say("uniboxer", "hello you");
    const channel = await phone.waitEvent<Msg>((e) => text(e) === "hello channel", 20_000, "the channel message");
    const direct = await phone.waitEvent<Msg>((e) => text(e) === "hello you", 20_000, "the private message");
    expect(channel.msg).toMatchObject({ from: "kim", source: accountId });
    expect(direct.msg).toMatchObject({ from: "kim", source: accountId });
    expect(channel.conv).not.toBe(direct.conv);
    const list = await call(server.url, "/api/conversations", { token: me.token });
    expect(list.conversations.filter((c: { source: string }) => c.source === accountId).map((c: { title: string }) => c.title).sort()).toEqual(["#unibox", "kim"]);
  });

  it("answers in the channel and in private", async () => {
    const list = (await call(server.url, "/api/conversations", { token: me.token })).conversations as { id: string; title: string }[];
    const channel = list.find((c) => c.title === "#unibox")!.id;
    const direct = list.find((c) => c.title === "kim")!.id;
    phone.send({ t: "send", id: "irc-1", to: { conv: channel }, body: { type: "text", text: "hi all" } });
    phone.send({ t: "send", id: "irc-2", to: { conv: direct }, body: { type: "text", text: "hi kim" } });
    expect(await kim.waitFor((m) => m.text === "hi all", 20_000)).toMatchObject({ from: "uniboxer", target: "#unibox" });
    expect(await kim.waitFor((m) => m.text === "hi kim", 20_000)).toMatchObject({ from: "uniboxer", target: "kim" });
    await phone.waitEvents((e) => e.type === "status" && e.state === "sent", 2, 20_000, "sent statuses");
  });

  it("says in each channel that IRC keeps no history when the link was closed", async () => {
    const seq = phone.lastSeq;
    phone.close();
    await kim.waitForLine((l) => l.command === "QUIT" && l.prefix.startsWith("uniboxer"), 30_000);
    phone = await openPhone(server.url, me, seq);
    const notice = await phone.waitEvent<Extract<HubEvent, { type: "notice" }>>((e) => e.type === "notice" && e.key === "irc.no-history", 30_000, "the no-history notice");
    expect(notice.conv).toContain(accountId);
  });
});
