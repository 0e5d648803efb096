// What the platform itself costs under `wrangler dev`, one operation at a time (bench/platform.ts):
// a call into a Durable Object, a SQLite statement, a turn that commits a write. Every loop
// runs inside one request, so wrangler's proxy is not in the numbers. Never deployed.
import { DurableObject } from "cloudflare:workers";

type Env = { OBJ: DurableObjectNamespace<Probe> };
export type Op = "call" | "call-read" | "call-write" | "call-statements" | "turn" | "turn-write";

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const op = url.searchParams.get("op") as Op | null;
    const n = Number(url.searchParams.get("n") ?? 0);
    const stub = env.OBJ.get(env.OBJ.idFromName("probe"));
    if (op === "call" || op === "call-read" || op === "call-write" || op === "call-statements") {
      for (let i = 0; i < n; i++) await stub.once(op, i);
    } else if (op === "turn" || op === "turn-write") {
      await stub.inside(op, n);
    } else {
      return new Response("op: call | call-read | call-write | call-statements | turn | turn-write", { status: 400 });
    }
    return new Response("ok");
  },
} satisfies ExportedHandler<Env>;

export class Probe extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL)");
  }

  /**
   * One call: nothing, a primary-key read, ten `SELECT 1`, or one insert (committed when the
   * call's turn ends). Statements are timed in short calls like the app's: the explorer's
   * cost per statement is not the same in a turn that runs thousands of them.
   */
  once(op: Op, i: number): void {
    if (op === "call-read") this.ctx.storage.sql.exec("SELECT ev FROM log WHERE seq = ?", i).toArray();
    if (op === "call-statements") for (let k = 0; k < 10; k++) this.ctx.storage.sql.exec("SELECT 1").toArray();
    if (op === "call-write") this.ctx.storage.sql.exec("INSERT INTO log (ev) VALUES (?)", `event ${i}`);
  }

  /** n turns of the object's own (each after a macrotask), with or without an insert each. */
  async inside(op: Op, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (op === "turn-write") this.ctx.storage.sql.exec("INSERT INTO log (ev) VALUES (?)", `event ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
