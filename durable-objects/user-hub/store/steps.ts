import type { TimelineStep } from "../../../core/protocol";
import { chunked } from "../../../worker/db/client";

/** A message keeps at most this many steps (a network that is down is tried 12 times). */
const MAX_STEPS = 40;

/** Each outgoing message's way, step by step with times (see timeline.ts). */
export class StepStore {
  constructor(private sql: SqlStorage) {}

  /**
   * `once`: the caller knows this step comes at most once per message (acknowledged,
   * delivered, read: states only rise), so the cap needs no count. Tries and failures of a
   * network that keeps refusing are what the cap is for.
   */
  add(msgId: string, step: TimelineStep, once = false): void {
    if (!once && this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM msg_steps WHERE msg_id = ?", msgId).one().n >= MAX_STEPS) return;
    const { step: name, at, ...detail } = step;
    this.sql.exec("INSERT INTO msg_steps (msg_id, step, at, detail) VALUES (?, ?, ?, ?)", msgId, name, at, Object.keys(detail).length ? JSON.stringify(detail) : null);
  }

  /** The same once-per-message step (see `add`) for many messages: a receipt names many. */
  addMany(msgIds: string[], step: TimelineStep): void {
    const { step: name, at, ...detail } = step;
    const d = Object.keys(detail).length ? JSON.stringify(detail) : null;
    for (const part of chunked(msgIds, 4, 0)) {
      this.sql.exec(`INSERT INTO msg_steps (msg_id, step, at, detail) VALUES ${part.map(() => "(?, ?, ?, ?)").join(", ")}`, ...part.flatMap((id) => [id, name, at, d]));
    }
  }

  /** Which of these messages have this step already, in one statement per hundred ids. */
  having(msgIds: string[], step: TimelineStep["step"]): Set<string> {
    const found = new Set<string>();
    for (const part of chunked(msgIds, 1, 1)) {
      const rows = this.sql.exec<{ msg_id: string }>(`SELECT msg_id FROM msg_steps WHERE step = ? AND msg_id IN (${part.map(() => "?").join(",")})`, step, ...part);
      for (const r of rows) found.add(r.msg_id);
    }
    return found;
  }

  of(msgId: string): TimelineStep[] {
    return this.sql
      .exec<{ step: TimelineStep["step"]; at: number; detail: string | null }>("SELECT step, at, detail FROM msg_steps WHERE msg_id = ? ORDER BY id", msgId)
      .toArray()
      .map((r) => ({ step: r.step, at: r.at, ...(r.detail ? (JSON.parse(r.detail) as Omit<TimelineStep, "step" | "at">) : {}) }));
  }
}
