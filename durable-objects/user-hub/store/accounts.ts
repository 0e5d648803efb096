import type { Account, RemoteContact } from "../../../core/protocol";

/** The user's bound accounts (cached like the friend set), remote id ↔ message id, contacts. */
export class AccountStore {
  constructor(private sql: SqlStorage) {}

  put(account: Account): void {
    this.sql.exec(
      "INSERT INTO accounts (id, account) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET account = excluded.account",
      account.id, JSON.stringify(account),
    );
  }
  get(id: string): (Account & { removed: boolean }) | undefined {
    const row = this.sql.exec<{ account: string; removed_at: number | null }>("SELECT account, removed_at FROM accounts WHERE id = ?", id).toArray()[0];
    return row && { ...(JSON.parse(row.account) as Account), removed: row.removed_at !== null };
  }
  /** Bound accounts, oldest first (removed ones are kept for their read-only history, not listed). */
  active(): Account[] {
    return this.sql.exec<{ account: string }>("SELECT account FROM accounts WHERE removed_at IS NULL ORDER BY rowid").toArray().map((r) => JSON.parse(r.account) as Account);
  }
  remove(id: string, at: number): void {
    this.sql.exec("UPDATE accounts SET removed_at = ? WHERE id = ?", at, id);
    this.sql.exec("DELETE FROM remote_contacts WHERE account = ?", id);
  }

  // ---- remote ids: dedupe, echo matching, receipts both ways ----------------------------
  messageFor(account: string, remoteId: string): string | undefined {
    return this.sql.exec<{ msg_id: string }>("SELECT msg_id FROM remote_ids WHERE account = ? AND remote_id = ?", account, remoteId).toArray()[0]?.msg_id;
  }
  mapRemote(account: string, remoteId: string, msgId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO remote_ids (account, remote_id, msg_id) VALUES (?, ?, ?)", account, remoteId, msgId);
  }
  remoteIdsOf(msgIds: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < msgIds.length; i += 90) {
      const part = msgIds.slice(i, i + 90);
      out.push(...this.sql.exec<{ remote_id: string }>(`SELECT remote_id FROM remote_ids WHERE msg_id IN (${part.map(() => "?").join(",")})`, ...part).toArray().map((r) => r.remote_id));
    }
    return out;
  }

  // ---- contacts ----------------------------------------------------------------------------
  contacts(account: string): RemoteContact[] | undefined {
    const row = this.sql.exec<{ contacts: string }>("SELECT contacts FROM remote_contacts WHERE account = ?", account).toArray()[0];
    return row && (JSON.parse(row.contacts) as RemoteContact[]);
  }
  setContacts(account: string, contacts: RemoteContact[], at: number): void {
    this.sql.exec(
      "INSERT INTO remote_contacts (account, contacts, updated_at) VALUES (?, ?, ?) ON CONFLICT(account) DO UPDATE SET contacts = excluded.contacts, updated_at = excluded.updated_at",
      account, JSON.stringify(contacts), at,
    );
  }
}
