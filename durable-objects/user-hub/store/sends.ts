export type SendRow = { msg_id: string; conv: string; at: number; done: number };

/**
 * Rows read or written lately, so one send's three looks (done? reserve, done?) read SQLite
 * once; a client id found absent is remembered too (null) until its reservation.
 */
const RECENT = 256;

/** Sends by client id: a message id reserved on the first try and reused by every retry. */
export class SendStore {
  private recent = new Map<string, SendRow | null>();

  constructor(private sql: SqlStorage) {}

  get(clientId: string): SendRow | undefined {
    const known = this.recent.get(clientId);
    if (known !== undefined) return known ?? undefined;
    const row = this.sql.exec<SendRow>("SELECT msg_id, conv, at, done FROM sends WHERE client_id = ?", clientId).toArray()[0];
    this.remember(clientId, row ?? null);
    return row;
  }
  reserve(clientId: string, msgId: string, conv: string, at: number): void {
    this.sql.exec("INSERT INTO sends (client_id, msg_id, conv, at) VALUES (?, ?, ?, ?)", clientId, msgId, conv, at);
    this.remember(clientId, { msg_id: msgId, conv, at, done: 0 });
  }
  /** `answer`: the message id and time the target stored, where they differ from ours (a group room that had this send already). */
  finish(clientId: string, answer?: { msgId: string; at: number }): void {
    if (answer) this.sql.exec("UPDATE sends SET done = 1, msg_id = ?, at = ? WHERE client_id = ?", answer.msgId, answer.at, clientId);
    else this.sql.exec("UPDATE sends SET done = 1 WHERE client_id = ?", clientId);
    const known = this.recent.get(clientId);
    if (known) Object.assign(known, { done: 1 }, answer && { msg_id: answer.msgId, at: answer.at });
  }
  private remember(clientId: string, row: SendRow | null): void {
    this.recent.set(clientId, row);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
  }
  /** Whether this message id is ours and its send is still on its way (not yet written here). */
  inFlight(msgId: string): boolean {
    return this.sql.exec("SELECT 1 FROM sends WHERE msg_id = ? AND done = 0", msgId).toArray().length > 0;
  }
}
