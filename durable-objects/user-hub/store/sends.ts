export type SendRow = { msg_id: string; conv: string; at: number; done: number };

/** Sends by client id: a message id reserved on the first try and reused by every retry. */
export class SendStore {
  constructor(private sql: SqlStorage) {}

  get(clientId: string): SendRow | undefined {
    return this.sql.exec<SendRow>("SELECT msg_id, conv, at, done FROM sends WHERE client_id = ?", clientId).toArray()[0];
  }
  reserve(clientId: string, msgId: string, conv: string, at: number): void {
    this.sql.exec("INSERT INTO sends (client_id, msg_id, conv, at) VALUES (?, ?, ?, ?)", clientId, msgId, conv, at);
  }
  finish(clientId: string): void {
    this.sql.exec("UPDATE sends SET done = 1 WHERE client_id = ?", clientId);
  }
  /** Whether this message id is ours and its send is still on its way (not yet written here). */
  inFlight(msgId: string): boolean {
    return this.sql.exec("SELECT 1 FROM sends WHERE msg_id = ? AND done = 0", msgId).toArray().length > 0;
  }
}
