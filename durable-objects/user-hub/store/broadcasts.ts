import { chunked } from "../../../worker/db/client";

export type BroadcastRow = { id: string; target: number; msg_id: string | null; conv: string | null; state: string; error?: string | null };

/** Each broadcast's targets: the message each became and where it got. */
export class BroadcastStore {
  constructor(private sql: SqlStorage) {}

  get(id: string, target: number): BroadcastRow | undefined {
    return this.sql.exec<BroadcastRow>("SELECT * FROM broadcasts WHERE id = ? AND target = ?", id, target).toArray()[0];
  }
  /** The targets these messages are, in one statement per hundred ids (a receipt names many). */
  forMessages(msgIds: string[]): BroadcastRow[] {
    const out: BroadcastRow[] = [];
    for (const part of chunked(msgIds, 1, 0)) {
      out.push(...this.sql.exec<BroadcastRow>(`SELECT * FROM broadcasts WHERE msg_id IN (${part.map(() => "?").join(",")})`, ...part));
    }
    return out;
  }
  put(row: BroadcastRow): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO broadcasts (id, target, msg_id, conv, state, error) VALUES (?, ?, ?, ?, ?, ?)",
      row.id, row.target, row.msg_id, row.conv, row.state, row.error ?? null,
    );
  }
  setState(id: string, target: number, state: string): void {
    this.sql.exec("UPDATE broadcasts SET state = ? WHERE id = ? AND target = ?", state, id, target);
  }
}
