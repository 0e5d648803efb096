// The IMAP client against recorded server responses (Dovecot 2.3 transcripts and the
// examples of RFC 3501 / RFC 2177), fed in chunks cut everywhere: a literal split across
// reads must parse the same as one read. The real Dovecot runs in mail.node.test.ts.
import { describe, expect, it } from "vitest";
import { RemoteError } from "../types";
import { type ImapServer, ImapClient, ImapRefused, astring } from "./imap-client";
import { select, uidFetch, uidSearch, uidSet, internalDate, searchDate } from "./imap-mailbox";
import { parseResponse, readResponse } from "./imap-response";
import { CLOSE, type Chunk, type Script, chunks, scriptedSocket } from "./test-socket";
import { Wire, WireClosed } from "./wire";

const server: ImapServer = { host: "imap.example", port: 143, security: "plain", user: "alice", password: "pw" };
const GREETING = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n";

/** A server that answers each tagged command from `answers` (by command name), with its tag. */
function imapServer(answers: Record<string, (tag: string, line: string) => Chunk[]>, greeting = GREETING): Script {
  return {
    greeting: [greeting],
    reply(line) {
      const [tag, name] = line.split(" ");
      const answer = answers[name?.toUpperCase() ?? ""] ?? answers[line];
      return answer ? answer(tag!, line) : undefined;
    },
  };
}

async function until(pred: () => boolean) {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
}

const loginOk = (tag: string) => [`${tag} OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] Logged in\r\n`];
const io = (script: Script) => {
  const socket = scriptedSocket(script);
  return { socket, io: { connect: () => socket } };
};

/** The first `n` responses of a transcript the server sends in chunks of `chunkSize` bytes. */
async function responsesOf(text: string, chunkSize: number, n: number) {
  const { io: link } = io({ greeting: chunks(text, chunkSize), reply: () => undefined });
  const wire = await Wire.open(link, "imap.example", 143, "plain");
  const out = [];
  for (let i = 0; i < n; i++) out.push(await readResponse(wire));
  return out;
}

describe("IMAP responses", () => {
  it("parses tagged, status, data and continuation responses with their codes", () => {
    const p = (line: string) => parseResponse({ pieces: [line], literals: [] });
    expect(p("A1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).")).toEqual({ kind: "tagged", tag: "A1", status: "OK", code: { name: "READ-WRITE", text: "" }, text: "Select completed (0.001 + 0.000 secs)." });
    expect(p("* OK [UIDVALIDITY 3857529045] UIDs valid")).toEqual({ kind: "status", status: "OK", code: { name: "UIDVALIDITY", text: "3857529045" }, text: "UIDs valid" });
    expect(p("* 172 EXISTS")).toEqual({ kind: "data", name: "EXISTS", number: 172, values: [] });
    expect(p("* SEARCH 2 84 882")).toEqual({ kind: "data", name: "SEARCH", values: ["2", "84", "882"] });
    expect(p("* SEARCH")).toEqual({ kind: "data", name: "SEARCH", values: [] });
    expect(p("+ idling")).toEqual({ kind: "continue", text: "idling" });
    expect(p("A2 NO [AUTHENTICATIONFAILED] Authentication failed.")).toMatchObject({ status: "NO", code: { name: "AUTHENTICATIONFAILED" } });
    expect(p("* BYE Server shutting down.")).toEqual({ kind: "status", status: "BYE", text: "Server shutting down." });
    expect(p(String.raw`* FLAGS (\Answered \Seen \Draft)`)).toEqual({ kind: "data", name: "FLAGS", values: [[String.raw`\Answered`, String.raw`\Seen`, String.raw`\Draft`]] });
  });

  it("parses a FETCH with quoted strings, escapes, NIL, nested lists, a section atom and literals", () => {
    const header = new TextEncoder().encode("Message-ID: <a@b>\r\n\r\n");
    const body = new TextEncoder().encode("Subject: x\r\n\r\nhello");
    const r = parseResponse({
      pieces: [String.raw`* 12 FETCH (UID 34 FLAGS (\Seen $Forwarded) INTERNALDATE " 7-Jul-1996 02:44:25 -0700" X-Q "say \"hi\" \\ ok" X-N NIL BODY[HEADER.FIELDS (MESSAGE-ID)] {${header.length}}`, ` BODY[] {${body.length}}`, ")"],
      literals: [header, body],
    });
    expect(r).toEqual({
      kind: "data",
      name: "FETCH",
      number: 12,
      values: [["UID", "34", "FLAGS", [String.raw`\Seen`, "$Forwarded"], "INTERNALDATE", " 7-Jul-1996 02:44:25 -0700", "X-Q", String.raw`say "hi" \ ok`, "X-N", null, "BODY[HEADER.FIELDS (MESSAGE-ID)]", header, "BODY[]", body]],
    });
  });

  it("reads the same responses whatever the chunking: a literal cut across reads, one byte per read", async () => {
    const literal = "Subject: split\r\n\r\nline one\r\n{5}\r\nnot a literal: inside one\r\n";
    const transcript = [
      "* 1 FETCH (UID 7 RFC822.SIZE " + literal.length + " BODY[] {" + literal.length + "}\r\n" + literal + " FLAGS (\\Seen))\r\n",
      "* 3 EXISTS\r\n",
      "U5 OK Fetch completed.\r\n",
    ].join("");
    const whole = await responsesOf(transcript, transcript.length, 3);
    expect(whole).toHaveLength(3);
    expect(new TextDecoder().decode((whole[0] as { values: unknown[][] }).values[0]![5] as Uint8Array)).toBe(literal);
    for (const size of [1, 2, 3, 7, 16, 64]) expect(await responsesOf(transcript, size, 3)).toEqual(whole);
  });

  it("an oversized literal announcement is refused instead of allocated", async () => {
    const { io: link } = io({ greeting: ["* 1 FETCH (BODY[] {999999999999}\r\n"], reply: () => undefined });
    const wire = await Wire.open(link, "imap.example", 143, "plain");
    await expect(readResponse(wire)).rejects.toThrow(/literal of 999999999999 bytes/);
  });
});

describe("IMAP client", () => {
  it("logs in with quoted strings, escaping quotes and backslashes", async () => {
    const { socket, io: link } = io(imapServer({ LOGIN: loginOk }));
    const client = await ImapClient.connect(link, { ...server, user: 'al"ice', password: String.raw`p\w` });
    expect(socket.written).toEqual([String.raw`U1 LOGIN "al\"ice" "p\\w"`]);
    expect(client.capabilities.has("IDLE")).toBe(true);
  });

  it("sends a password quotes cannot carry as a literal, waiting for the server's go-ahead", async () => {
    const password = "pässwörd";
    let sawLiteral = "";
    const script: Script = {
      greeting: [GREETING],
      reply(line) {
        if (line.startsWith("U1 LOGIN")) return ["+ OK\r\n"];
        sawLiteral = line;
        return ["U1 OK Logged in\r\n"];
      },
    };
    const { socket, io: link } = io(script);
    await ImapClient.connect(link, { ...server, password });
    expect(socket.written[0]).toBe(`U1 LOGIN "alice" {${new TextEncoder().encode(password).length}}`);
    expect(sawLiteral).toBe(password);
    expect(astring("plain")).toBe('"plain"');
  });

  it("a refused login is RemoteError auth naming the server; UNAVAILABLE is transient", async () => {
    const refused = io(imapServer({ LOGIN: (t) => [`${t} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`] }));
    const e = await ImapClient.connect(refused.io, server).catch((x) => x);
    expect(e).toBeInstanceOf(RemoteError);
    expect([e.kind, e.message]).toEqual(["auth", "imap.example refused the login: Authentication failed."]);
    const busy = io(imapServer({ LOGIN: (t) => [`${t} NO [UNAVAILABLE] Temporary authentication failure.\r\n`] }));
    expect(await ImapClient.connect(busy.io, server).catch((x) => x.kind)).toBe("transient");
  });

  it("a BYE greeting is transient; LOGINDISABLED and STARTTLS missing are permanent", async () => {
    const bye = io(imapServer({}, "* BYE Too many connections\r\n"));
    expect(await ImapClient.connect(bye.io, server).catch((x) => [x.kind, x.message])).toEqual(["transient", "imap.example turned the connection away: Too many connections"]);
    const disabled = io(imapServer({}, "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\n"));
    expect(await ImapClient.connect(disabled.io, server).catch((x) => x.kind)).toBe("permanent");
    const noTls = io(imapServer({}, "* OK [CAPABILITY IMAP4rev1] ready\r\n"));
    expect(await ImapClient.connect(noTls.io, { ...server, security: "starttls" }).catch((x) => x.message)).toMatch(/does not offer STARTTLS/);
  });

  it("STARTTLS: upgrades, forgets the capabilities it was told in the clear, and asks again", async () => {
    const { socket, io: link } = io(imapServer({
      STARTTLS: (t) => [`${t} OK Begin TLS negotiation now.\r\n`],
      CAPABILITY: (t) => [`* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN\r\n${t} OK Pre-login capabilities listed.\r\n`],
      LOGIN: loginOk,
    }));
    const client = await ImapClient.connect(link, { ...server, security: "starttls" });
    expect(socket.tls).toBe(true);
    expect(socket.written.map((l) => l.split(" ")[1])).toEqual(["STARTTLS", "CAPABILITY", "LOGIN"]);
    expect(client.capabilities.has("STARTTLS")).toBe(false);
  });

  it("bytes injected after the STARTTLS answer end the connection (CVE-2011-0411 style)", async () => {
    const { io: link } = io(imapServer({ STARTTLS: (t) => [`${t} OK Begin TLS\r\n* OK injected\r\n`] }));
    expect(await ImapClient.connect(link, { ...server, security: "starttls" }).catch((x) => x.message)).toMatch(/sent data before the TLS handshake/);
  });

  it("SELECT, UID SEARCH and UID FETCH answers are parsed; unsolicited FETCHes are dropped; a UID with no answer is left out", async () => {
    const body = "From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n";
    const { io: link } = io(imapServer({
      LOGIN: loginOk,
      SELECT: (t) => [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n",
        "* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000001] UIDs valid\r\n* OK [UIDNEXT 12] Predicted next UID\r\n",
        `${t} OK [READ-WRITE] Select completed.\r\n`,
      ],
      UID: (t, line) =>
        line.includes("SEARCH")
          ? ["* SEARCH 11 9 10\r\n", `${t} OK Search completed.\r\n`]
          : [
              `* 2 FETCH (UID 10 RFC822.SIZE ${body.length} INTERNALDATE "01-Feb-2026 10:00:00 +0100" BODY[] {${body.length}}\r\n${body})\r\n`,
              "* 1 FETCH (FLAGS (\\Seen))\r\n",
              `* 3 FETCH (UID 11 RFC822.SIZE 99)\r\n* 3 FETCH (UID 11 INTERNALDATE "01-Feb-2026 11:00:00 +0000")\r\n`,
              `${t} OK Fetch completed.\r\n`,
            ],
    }));
    const client = await ImapClient.connect(link, server);
    expect(await select(client)).toEqual({ mailbox: "INBOX", uidValidity: 1700000001, uidNext: 12, exists: 3 });
    expect(await uidSearch(client, "UID 9:*")).toEqual([9, 10, 11]);
    const got = await uidFetch(client, [9, 10, 11], "UID RFC822.SIZE INTERNALDATE BODY.PEEK[]");
    expect(got.map((f) => [f.uid, f.size, f.internalDate])).toEqual([[10, body.length, Date.parse("2026-02-01T09:00:00Z")], [11, 99, Date.parse("2026-02-01T11:00:00Z")]]);
    expect(new TextDecoder().decode(got[0]!.body)).toBe(body);
  });

  it("IDLE: waits for the go-ahead, hands over EXISTS as it comes, and DONE ends it at the tagged OK", async () => {
    let idleTag = "";
    const { socket, io: link } = io(imapServer({
      LOGIN: loginOk,
      IDLE: (t) => ((idleTag = t), ["+ idling\r\n"]),
      DONE: () => [`${idleTag} OK Idle completed (0.001 + 2.000 secs).\r\n`],
    }));
    const client = await ImapClient.connect(link, server);
    const seen: string[] = [];
    client.onUntagged = (r) => seen.push(r.kind === "data" ? `${r.number} ${r.name}` : r.kind);
    const idle = await client.idle();
    expect(socket.written.at(-1)).toBe(`${idleTag} IDLE`);
    socket.serverSends(["* 4 EXISTS\r\n* 1 RECENT\r\n"]);
    await until(() => seen.length === 2);
    expect(seen).toEqual(["4 EXISTS", "1 RECENT"]);
    await idle.done();
    expect(socket.written.at(-1)).toBe("DONE");
    expect(await idle.ended).toBe("");
  });

  it("a connection lost while idling ends the IDLE with the server's BYE as the reason", async () => {
    const { socket, io: link } = io(imapServer({ LOGIN: loginOk, IDLE: () => ["+ idling\r\n"] }));
    const client = await ImapClient.connect(link, server);
    const idle = await client.idle();
    socket.serverSends(["* BYE Server shutting down.\r\n", CLOSE]);
    expect(await idle.ended).toBe("imap.example ended the session: Server shutting down.");
  });

  it("a server that stops answering is given up on after the timeout", async () => {
    const { io: link } = io(imapServer({ LOGIN: loginOk, NOOP: () => [] }));
    const client = await ImapClient.connect(link, server, { timeoutMs: 100 });
    const started = Date.now();
    const e = await client.command("NOOP").catch((x) => x);
    expect(e).toBeInstanceOf(WireClosed);
    expect(e.message).toBe("imap.example:143 did not answer for 0 s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it("NO becomes ImapRefused with the code; a BYE then a close says what the server said", async () => {
    const { io: link } = io(imapServer({ LOGIN: loginOk, SELECT: (t) => [`${t} NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n`], NOOP: () => ["* BYE Shutting down\r\n", CLOSE] }));
    const client = await ImapClient.connect(link, server);
    const e = await select(client, "Nope").catch((x) => x);
    expect(e).toBeInstanceOf(ImapRefused);
    expect([e.status, e.code]).toEqual(["NO", "NONEXISTENT"]);
    const bye = await client.command("NOOP").catch((x) => x);
    expect(bye).toBeInstanceOf(WireClosed);
    expect(bye.message).toBe("imap.example ended the session: Shutting down");
  });
});

describe("IMAP values", () => {
  it("UID sets, search dates and internal dates", () => {
    expect(uidSet([9, 1, 2, 3, 7, 10, 3])).toBe("1:3,7,9:10");
    expect(uidSet([5])).toBe("5");
    expect(searchDate(Date.parse("2026-02-01T23:59:00Z"))).toBe("1-Feb-2026");
    expect(internalDate("17-Jul-1996 02:44:25 -0700")).toBe(Date.parse("1996-07-17T09:44:25Z"));
    expect(internalDate(" 7-Jul-1996 02:44:25 +0000")).toBe(Date.parse("1996-07-07T02:44:25Z"));
    expect(internalDate("garbage")).toBeUndefined();
  });
});
