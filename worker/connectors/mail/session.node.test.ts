// The live session against a scripted IMAP server, for what Dovecot always does otherwise:
// a server without IDLE (new mail found by NOOP), and the exact commands of a clean close.
import { describe, expect, it } from "vitest";
import { nodeIO, recorder } from "../../../test/support/node-io";
import { mail } from "./index";
import { type Chunk, type Script, scriptedSocket } from "./test-socket";

const creds = {
  address: "alice@example.org",
  imap: { host: "imap.example", port: 143, security: "plain" as const, user: "alice", password: "pw" },
  smtp: { host: "smtp.example", port: 587, security: "plain" as const, user: "alice", password: "pw" },
};
const body = "From: bob@example.net\r\nSubject: found by NOOP\r\nMessage-ID: <noop@example.net>\r\n\r\nhi\r\n";

/** A mailbox with no mail until `arrive()`; the server has no IDLE capability. */
function mailbox(caps: string) {
  let arrived = false;
  let idleTag = "";
  const script: Script = {
    greeting: [`* OK [CAPABILITY ${caps}] ready\r\n`],
    reply(line): Chunk[] | undefined {
      const [tag, name, sub] = line.split(" ");
      if (line === "DONE") return [`${idleTag} OK Idle completed.\r\n`];
      switch (name) {
        case "LOGIN":
          return [`${tag} OK [CAPABILITY ${caps}] Logged in\r\n`];
        case "SELECT":
          return ["* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n", `${tag} OK [READ-WRITE] done\r\n`];
        case "NOOP":
          return [arrived ? "* 1 EXISTS\r\n" : "", `${tag} OK NOOP completed.\r\n`];
        case "IDLE":
          idleTag = tag!;
          return ["+ idling\r\n"];
        case "LOGOUT":
          return ["* BYE Logging out\r\n", `${tag} OK Logout completed.\r\n`];
        case "UID":
          if (sub === "SEARCH") return [arrived && !line.includes("SINCE") ? "* SEARCH 1\r\n" : "* SEARCH\r\n", `${tag} OK done\r\n`];
          if (line.includes("RFC822.SIZE")) return [`* 1 FETCH (UID 1 RFC822.SIZE ${body.length} INTERNALDATE "01-Feb-2026 10:00:00 +0000")\r\n`, `${tag} OK done\r\n`];
          return [`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n${body})\r\n`, `${tag} OK done\r\n`];
      }
      return undefined;
    },
  };
  const socket = scriptedSocket(script);
  return { socket, arrive: () => (arrived = true) };
}

describe("live session on a scripted server", () => {
  it("without IDLE, NOOP now and then finds new mail", async () => {
    const box = mailbox("IMAP4rev1");
    const io = { ...nodeIO("mail", { config: { MAIL_NOOP_EVERY_MS: "30" } }), connect: () => box.socket };
    const rec = recorder();
    const session = await mail.connect(creds, io, null, rec);
    expect(rec.cursor).toBe("v7:0");
    box.arrive();
    await rec.until(() => rec.events.length === 1, 2000);
    expect(rec.events[0]).toMatchObject({ type: "mail", mail: { remoteId: "<noop@example.net>", subject: "found by NOOP" } });
    expect(rec.cursor).toBe("v7:1");
    await session.close();
    expect(box.socket.written.filter((l) => l.includes("IDLE"))).toEqual([]);
  });

  it("close() ends IDLE with DONE, logs out, and does not count as the session ending by itself", async () => {
    const box = mailbox("IMAP4rev1 IDLE");
    const io = { ...nodeIO("mail"), connect: () => box.socket };
    const session = await mail.connect(creds, io, null, recorder());
    await new Promise((r) => setTimeout(r, 20));
    await session.close();
    expect(box.socket.written.slice(-3).map((l) => l.split(" ").slice(1).join(" ") || l)).toEqual(["IDLE", "DONE", "LOGOUT"]);
    const settled = await Promise.race([session.ended.then(() => "ended"), new Promise((r) => setTimeout(() => r("pending"), 50))]);
    expect(settled).toBe("pending");
  });
});
