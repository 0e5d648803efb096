// Mail drafts through the sync layer: written offline they survive a reload and go once,
// with the same client id, when the socket is back; a failed send keeps the draft with
// why; sent, it is gone. Live `mail` and `mail.read` events keep the lists current.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { connectFake, resetClient } from "../../test/sync-harness";
import { stopConnection } from "./connection";
import { kv } from "./db";
import { ALL, type Draft, drafts, listOf, loadMail, mailUnread, newDraft, OWN, resetMailState, restoreMail, saveDraft, sendDraft } from "./mail";
import { settled } from "./sync";
import type { MailSummary } from "../../../core/protocol";

const sends = (s: FakeSocket) => s.frames().filter((f) => f.t === "send");
const draftOf = (id: string) => drafts.value.find((d) => d.id === id);
const summary = (over: Partial<MailSummary> = {}): MailSummary => ({ id: "ml_1", account: null, from: { address: "bob@example.net" }, to: [{ address: "alice@x" }], subject: "Hi", snippet: "Hello", at: 1000, read: false, ...over });

describe("mail drafts", () => {
  beforeEach(async () => {
    await resetClient();
    resetMailState();
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  it("keeps a draft sent offline across a reload, and sends it once with the same id when the socket is back", async () => {
    const d = newDraft({ to: "carol@example.org", cc: "dave@example.org, erin@example.org", subject: "Plan", text: "See you", inReplyTo: "ml_parent" });
    await saveDraft(d);
    await sendDraft(d.id); // no socket: it waits, as "sending", with a client id kept
    const waiting = draftOf(d.id)!;
    expect(waiting.state).toBe("sending");
    expect(waiting.sendId).toBeTruthy();
    await vi.waitFor(async () => expect((await kv.get<Draft[]>("mail.drafts"))?.[0]?.sendId).toBe(waiting.sendId));

    // "Reload": memory is gone, IndexedDB is not.
    resetMailState();
    await restoreMail();
    expect(draftOf(d.id)).toMatchObject({ state: "sending", sendId: waiting.sendId, subject: "Plan" });

    const sock = await connectFake({ ready: 0, resume: () => 0 });
    await vi.waitFor(() => expect(sends(sock)).toHaveLength(1));
    expect(sends(sock)[0]).toEqual({
      t: "send", id: waiting.sendId, to: { email: "carol@example.org" },
      body: { type: "email", subject: "Plan", text: "See you", cc: ["dave@example.org", "erin@example.org"], inReplyTo: "ml_parent" },
    });
    sock.deliver({ t: "accepted", id: waiting.sendId!, msgId: "m_9", conv: "r:own:carol@example.org", at: 5 });
    await settled();
    expect(draftOf(d.id)).toMatchObject({ state: "queued", msgId: "m_9" });
    sock.deliver({ t: "ev", seq: 1, ev: { type: "status", conv: "r:own:carol@example.org", msgIds: ["m_9"], state: "sent", by: OWN, at: 6 } });
    await settled();
    expect(draftOf(d.id)).toBeUndefined();
    await vi.waitFor(async () => expect(await kv.get<Draft[]>("mail.drafts")).toEqual([]));
  });

  it("keeps a draft whose send failed, with the reason, and sends it again under a new id", async () => {
    const sock = await connectFake({ ready: 0, resume: () => 0 });
    const d = newDraft({ from: "a_mail", to: "bob@example.net", subject: "Will fail", text: "x" });
    await saveDraft(d);
    await sendDraft(d.id);
    const first = sends(sock)[0]!;
    expect(first.to).toEqual({ email: "bob@example.net", account: "a_mail" });
    sock.deliver({ t: "accepted", id: first.id as string, msgId: "m_1", conv: "r:a_mail:bob@example.net", at: 1 });
    sock.deliver({ t: "ev", seq: 1, ev: { type: "status", conv: "r:a_mail:bob@example.net", msgIds: ["m_1"], state: "failed", by: "a_mail", at: 2, code: "bad_credentials", reason: "wrong password for smtp.example.net (535 5.7.8)" } });
    await settled();
    expect(draftOf(d.id)).toMatchObject({ state: "failed", subject: "Will fail", text: "x", error: { code: "bad_credentials", message: "wrong password for smtp.example.net (535 5.7.8)" } });
    expect(draftOf(d.id)!.sendId).toBeUndefined();

    await sendDraft(d.id);
    const second = sends(sock)[1]!;
    expect(second.id).not.toBe(first.id);
  });

  it("fails a draft the hub refuses for good (mail_unavailable), and leaves one refused for now (internal) waiting", async () => {
    const sock = await connectFake({ ready: 0, resume: () => 0 });
    const [a, b] = [newDraft({ to: "x@example.org", subject: "a" }), newDraft({ to: "y@example.org", subject: "b" })];
    for (const d of [a, b]) {
      await saveDraft(d);
      await sendDraft(d.id);
    }
    const [sa, sb] = sends(sock);
    sock.deliver({ t: "error", id: sa!.id as string, code: "mail_unavailable", message: "no relay" });
    sock.deliver({ t: "error", id: sb!.id as string, code: "internal", message: "try again" });
    await settled();
    expect(draftOf(a.id)).toMatchObject({ state: "failed", error: { code: "mail_unavailable" } });
    expect(draftOf(b.id)).toMatchObject({ state: "sending", sendId: sb!.id });
  });
});

describe("mail lists from events", () => {
  beforeEach(async () => {
    await resetClient();
    resetMailState();
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  // A first page asked for before a mail arrived answers after it did: the page has not
  // got it, the list must keep it (a reconnect's reload used to drop it until the next one).
  it("keeps a mail that arrived live while the first page was on its way", async () => {
    const asked: ((r: Response) => void)[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation((input) =>
      String(input instanceof Request ? input.url : input).includes("/api/mail") ? new Promise<Response>((r) => asked.push(r)) : Promise.reject(new TypeError("offline in unit tests")),
    );
    const loading = loadMail(ALL);
    await vi.waitFor(() => expect(asked).toHaveLength(1));
    const sock = await connectFake({ resume: () => 0 });
    sock.deliver({ t: "ev", seq: 1, ev: { type: "mail", mail: summary({ at: 5000 }) } });
    await settled();
    expect(listOf(ALL).mails.map((m) => m.id)).toEqual(["ml_1"]);
    const page = JSON.stringify({ mails: [summary({ id: "ml_old", at: 10, read: true })] });
    for (const answer of asked) answer(new Response(page, { status: 200, headers: { "content-type": "application/json" } }));
    await loading;
    expect(listOf(ALL)).toMatchObject({ loaded: true });
    expect(listOf(ALL).mails.map((m) => m.id)).toEqual(["ml_1", "ml_old"]);
    expect(mailUnread.value).toBe(1);
  });

  it("adds a live mail to its mailbox and to all, counts it unread, and clears it on mail.read", async () => {
    const sock = await connectFake({ ready: 0, resume: () => 0 });
    sock.deliver({ t: "ev", seq: 1, ev: { type: "mail", mail: summary() } });
    sock.deliver({ t: "ev", seq: 2, ev: { type: "mail", mail: summary({ id: "ml_2", account: "a_mail", read: false }) } });
    sock.deliver({ t: "ev", seq: 2, ev: { type: "mail", mail: summary({ id: "ml_2", account: "a_mail", read: false }) } }); // a replay
    await settled();
    expect(listOf(ALL).mails.map((m) => m.id)).toEqual(["ml_2", "ml_1"]);
    expect(listOf(OWN).mails.map((m) => m.id)).toEqual(["ml_1"]);
    expect(listOf("a_mail").mails.map((m) => m.id)).toEqual(["ml_2"]);
    expect(mailUnread.value).toBe(2);
    sock.deliver({ t: "ev", seq: 3, ev: { type: "mail.read", id: "ml_1", read: true, at: 9 } });
    await settled();
    expect(mailUnread.value).toBe(1);
    expect(listOf(OWN).mails[0]!.read).toBe(true);
  });
});
