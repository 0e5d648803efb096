import type { TimelineStep } from "../../../core/protocol";

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

  has(msgId: string, step: TimelineStep["step"]): boolean {
    return this.sql.exec("SELECT 1 FROM msg_steps WHERE msg_id = ? AND step = ?", msgId, step).toArray().length > 0;
  }

  of(msgId: string): TimelineStep[] {
    return this.sql
      .exec<{ step: TimelineStep["step"]; at: number; detail: string | null }>("SELECT step, at, detail FROM msg_steps WHERE msg_id = ? ORDER BY id", msgId)
      .toArray()
      .map((r) => ({ step: r.step, at: r.at, ...(r.detail ? (JSON.parse(r.detail) as Omit<TimelineStep, "step" | "at">) : {}) }));
  }
}
