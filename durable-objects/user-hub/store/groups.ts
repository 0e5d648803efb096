export type GroupStatus = "active" | "left" | "ended";
export type Membership = { id: string; name: string | null; status: GroupStatus; end_reason: string | null };

/** This user's group memberships, as the rooms told them; the room is the source of truth. */
export class GroupStore {
  /** Room cursors, read on every delivery: kept in memory as well (this hub is their only writer). */
  private seqs = new Map<string, number>();

  constructor(private sql: SqlStorage) {}

  get(id: string): Membership | undefined {
    return this.sql.exec<Membership>("SELECT id, name, status, end_reason FROM groups WHERE id = ?", id).toArray()[0];
  }
  join(id: string, name: string | null, at: number): void {
    this.sql.exec(
      "INSERT INTO groups (id, name, joined_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = CASE WHEN groups.status = 'ended' THEN 'ended' ELSE 'active' END",
      id, name, at,
    );
  }
  /** Groups this user is in now. */
  active(): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM groups WHERE status = 'active'").toArray().map((r) => r.id);
  }
  /** The room seq up to which this hub holds the group's log. */
  roomSeq(id: string): number {
    const known = this.seqs.get(id);
    if (known !== undefined) return known;
    const row = this.sql.exec<{ s: number }>("SELECT room_seq AS s FROM groups WHERE id = ?", id).toArray()[0];
    if (row) this.seqs.set(id, row.s);
    return row?.s ?? 0;
  }
  setRoomSeq(id: string, seq: number): void {
    const row = this.sql.exec<{ s: number }>("UPDATE groups SET room_seq = MAX(room_seq, ?) WHERE id = ? RETURNING room_seq AS s", seq, id).toArray()[0];
    if (row) this.seqs.set(id, row.s);
    else this.seqs.delete(id);
  }
  setStatus(id: string, status: "left" | "ended", reason?: string): void {
    this.sql.exec("UPDATE groups SET status = ?, end_reason = COALESCE(?, end_reason) WHERE id = ?", status, reason ?? null, id);
  }
}
