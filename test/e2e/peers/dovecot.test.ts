// The Dovecot harness against a real Dovecot: APPEND then read back, IDLE, a UIDVALIDITY
// reset that renumbers, restart keeping mail, refused logins, and the STARTTLS variant.
import { connect } from "node:net";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dovecot, startDovecot } from "../../support/peers/dovecot";

let imap: Dovecot;
const clients: ImapFlow[] = [];

async function login(user: string, pass: string, server = imap, extra: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}): Promise<ImapFlow> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false, ...extra });
  await client.connect();
  clients.push(client);
  return client;
}

const mail = (subject: string, body = "hello") => `From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.test>\r\n\r\n${body}\r\n`;

/** Lines from a bare socket after sending `lines`, until `until` shows up. */
function exchange(port: number, lines: string[], until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    socket.setTimeout(5000, () => reject(new Error(`no ${until} in: ${got}`)));
    socket.on("data", (d) => {
      got += d;
      if (got.includes("\r\n") && lines.length) socket.write(`${lines.shift()}\r\n`);
      if (until.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  imap = await startDovecot();
  console.info(`dovecot started in ${Date.now() - t0} ms`);
  await imap.addUser("alice", "secret");
});

afterAll(async () => {
  for (const c of clients) await c.logout().catch(() => c.close());
  await imap?.stop();
});

describe("dovecot", () => {
  it("stores an appended message that reads back byte for byte, with its flags", async () => {
    const raw = mail("first", "byte for byte\r\nsecond line");
    const { uid, uidValidity } = await imap.append("alice", raw, { flags: ["\\Seen", "$Important"] });
    const client = await login("alice", "secret");
    const box = await client.mailboxOpen("INBOX");
    expect(Number(box.uidValidity)).toBe(uidValidity);
    const msg = await client.fetchOne(String(uid), { source: true, flags: true }, { uid: true });
    expect(msg && msg.source?.toString()).toBe(raw);
    expect(msg && [...(msg.flags ?? [])].filter((f) => f !== "\\Recent").sort()).toEqual(["$Important", "\\Seen"]);
    await client.logout();
  });

  it("appends to another mailbox, creating it", async () => {
    await imap.append("alice", mail("archived"), { mailbox: "Archive" });
    expect((await imap.status("alice", "Archive")).messages).toBe(1);
  });

  it("tells an IDLE session about new mail", async () => {
    const client = await login("alice", "secret");
    expect(client.capabilities.has("IDLE")).toBe(true);
    await client.mailboxOpen("INBOX");
    const seen = new Promise<number>((resolve) => client.on("exists", (e: { count: number }) => resolve(e.count)));
    const idling = client.idle();
    const before = (await imap.status("alice")).messages;
    await imap.append("alice", mail("while idle"));
    expect(await seen).toBe(before + 1);
    await client.logout();
    await idling.catch(() => {});
  });

  it("resetUidValidity: the next SELECT has a new UIDVALIDITY and UIDs numbered again", async () => {
    await imap.addUser("carol", "pw-carol");
    for (const s of ["one", "two", "three"]) await imap.append("carol", mail(s), { flags: s === "two" ? ["\\Flagged"] : [] });
    const client = await login("carol", "pw-carol");
    await client.mailboxOpen("INBOX");
    await client.messageDelete("1", { uid: true }); // a gap, so renumbering shows
    const before = await client.fetchAll("1:*", { uid: true, envelope: true, flags: true });
    const oldValidity = Number(client.mailbox && client.mailbox.uidValidity);
    expect(before.map((m) => m.uid)).toEqual([2, 3]);
    await client.logout();

    const reset = await imap.resetUidValidity("carol");
    expect(reset.previous).toBe(oldValidity);
    expect(reset.uidValidity).not.toBe(oldValidity);

    const again = await login("carol", "pw-carol");
    const box = await again.mailboxOpen("INBOX");
    expect(Number(box.uidValidity)).toBe(reset.uidValidity);
    const after = await again.fetchAll("1:*", { uid: true, envelope: true, flags: true });
    expect(after.map((m) => m.uid)).toEqual([1, 2]);
    expect(after.map((m) => m.envelope?.subject)).toEqual(["two", "three"]);
    expect(after[0].flags?.has("\\Flagged")).toBe(true);
    await again.logout();
  });

  it("resetUidValidity disconnects a session that has the mailbox open; it sees the new numbering on return", async () => {
    await imap.addUser("erin", "pw-erin");
    await imap.append("erin", mail("kept"));
    const client = await login("erin", "pw-erin");
    const old = Number((await client.mailboxOpen("INBOX")).uidValidity);
    const closed = new Promise((resolve) => client.once("close", resolve));
    const idling = client.idle().catch(() => {});
    const { uidValidity } = await imap.resetUidValidity("erin");
    await closed;
    await idling;
    const back = await login("erin", "pw-erin");
    const box = await back.mailboxOpen("INBOX");
    expect(Number(box.uidValidity)).toBe(uidValidity);
    expect(uidValidity).not.toBe(old);
    expect(box.exists).toBe(1);
    await back.logout();
  });

  it("resetUidValidity on another mailbox, and a refusal for one that does not exist", async () => {
    const { previous, uidValidity } = await imap.resetUidValidity("alice", "Archive");
    expect(uidValidity).not.toBe(previous);
    expect((await imap.status("alice", "Archive")).uidValidity).toBe(uidValidity);
    await expect(imap.resetUidValidity("alice", "Nope")).rejects.toThrow();
  });

  it("refuses a wrong password and an unknown user", async () => {
    await expect(login("alice", "wrong")).rejects.toThrow();
    await expect(login("mallory", "secret")).rejects.toThrow();
    await expect(imap.append("mallory", mail("x"))).rejects.toThrow(/addUser/);
  });

  it("keeps mail and users across restart() on the same port", async () => {
    const { port } = imap;
    const before = await imap.status("alice");
    const t0 = Date.now();
    await imap.restart();
    console.info(`dovecot restarted in ${Date.now() - t0} ms`);
    expect(imap.port).toBe(port);
    const client = await login("alice", "secret");
    const box = await client.mailboxOpen("INBOX");
    expect([box.exists, Number(box.uidValidity)]).toEqual([before.messages, before.uidValidity]);
    await client.logout();
  });

  it("with tls: STARTTLS and implicit TLS with the self-signed certificate", async () => {
    const t0 = Date.now();
    const secure = await startDovecot({ tls: true });
    console.info(`dovecot (tls) started in ${Date.now() - t0} ms`);
    try {
      await secure.addUser("dana", "pw-dana");
      const plain = await exchange(secure.port, ["a1 CAPABILITY"], /a1 OK/);
      expect(plain).toMatch(/^\* OK \[CAPABILITY [^\]]*STARTTLS/);
      expect(await exchange(imap.port, ["a1 CAPABILITY"], /a1 OK/)).not.toMatch(/STARTTLS/);

      const starttls = await login("dana", "pw-dana", secure, { tls: { ca: secure.tls!.cert } });
      expect(starttls.secureConnection).toBe(true);
      await starttls.logout();
      const implicit = await login("dana", "pw-dana", { ...secure, port: secure.tls!.imapsPort }, { secure: true, tls: { ca: secure.tls!.cert } });
      expect(implicit.secureConnection).toBe(true);
      await implicit.logout();
      // The certificate is checked: without it as a trust anchor the handshake fails.
      await expect(login("dana", "pw-dana", { ...secure, port: secure.tls!.imapsPort }, { secure: true })).rejects.toThrow();
      await secure.append("dana", mail("over tls"));
      expect((await secure.status("dana")).messages).toBe(1);
    } finally {
      await secure.stop();
    }
  });
});
