// Read in Unibox → \Seen on the server (RFC 3501 §6.4.6 STORE), so the user's other mail
// programs show it read too. Mails are found by Message-ID (UID SEARCH HEADER, §6.4.4):
// that id is the mail's remoteId, and it survives a UIDVALIDITY change where a UID would
// not. Its own short connection: the live session is held in IDLE, and a command there
// would have to end IDLE first.
import type { LinkIO } from "../types";
import { astring, ImapClient, type ImapServer, transport } from "./imap-client";
import { select, uidSet } from "./imap-mailbox";

export async function markSeen(server: ImapServer, io: Pick<LinkIO, "connect" | "log">, remoteIds: string[]): Promise<void> {
  // A mail without a Message-ID has a hash for an id ("h:…"): nothing to search by.
  const ids = remoteIds.filter((id) => /^<[^<>\s]+>$/.test(id));
  if (!ids.length) return;
  const client = await ImapClient.connect(io, server);
  try {
    await select(client);
    const uids: number[] = [];
    for (const id of ids) {
      const { untagged } = await client.command("UID SEARCH HEADER Message-ID ", astring(id));
      for (const r of untagged) if (r.kind === "data" && r.name === "SEARCH") uids.push(...r.values.map(Number).filter((n) => Number.isInteger(n) && n > 0));
    }
    if (uids.length) await client.command(`UID STORE ${uidSet(uids)} +FLAGS.SILENT (\\Seen)`);
    io.log("mail.seen", { mails: ids.length, found: uids.length });
  } catch (e) {
    throw transport(e, server.host);
  } finally {
    await client.logout();
  }
}
