export type SendOptions = { split?: boolean; replyTo?: string };

/** A remote send's options beyond its message (thread, reply), kept for its retries. */
export class SendOptionStore {
  constructor(private sql: SqlStorage) {}

  put(msgId: string, options: SendOptions): void {
    if (!options.split && !options.replyTo) return;
    this.sql.exec("INSERT OR IGNORE INTO send_options (msg_id, options) VALUES (?, ?)", msgId, JSON.stringify(options));
  }
  get(msgId: string): SendOptions {
    const row = this.sql.exec<{ options: string }>("SELECT options FROM send_options WHERE msg_id = ?", msgId).toArray()[0];
    return row ? (JSON.parse(row.options) as SendOptions) : {};
  }
}
