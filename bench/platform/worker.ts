// What the platform itself costs under `wrangler dev`, one operation at a time (bench/platform.ts):
// a call into a Durable Object, a SQLite statement, a turn that commits a write, and a page of
// a group's entries written into a hub's own store (the hubs' copy, issue 16). Every loop
// runs inside one request, so wrangler's proxy is not in the numbers. Never deployed.
import { DurableObject } from "cloudflare:workers";
import { groupConversationId, NATIVE_SOURCE } from "../../core/conversation";
import { newId } from "../../core/ids";
import type { Message } from "../../core/protocol";
import { HubStore } from "../../durable-objects/user-hub/store";
import { MessageStore } from "../../durable-objects/user-hub/store/messages";

type Env = { OBJ: DurableObjectNamespace<Probe> };
export type Op = "call" | "call-read" | "call-write" | "call-statements" | "turn" | "turn-write" | PageOp;
/**
 * A call that writes one page of group messages (`page` of them): into a bare table (a rowid
 * and a unique id), into the hub's `messages` through its store without the search index,
 * and with it (what a hub's copy of a digest writes, `insertMany`).
 */
export type PageOp = "page-bare" | "page-messages" | "page-searched";
const PAGE_OPS: readonly string[] = ["page-bare", "page-messages", "page-searched"] satisfies PageOp[];

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const op = url.searchParams.get("op") as Op | null;
    const n = Number(url.searchParams.get("n") ?? 0);
    const page = Number(url.searchParams.get("page") ?? 100);
    const stub = env.OBJ.get(env.OBJ.idFromName("probe"));
    if (op === "call" || op === "call-read" || op === "call-write" || op === "call-statements") {
      for (let i = 0; i < n; i++) await stub.once(op, i);
    } else if (op !== null && PAGE_OPS.includes(op)) {
      // n entries, in pages; each op writes to an object of its own, so all start from the same size.
      const hub = env.OBJ.get(env.OBJ.idFromName(op));
      for (let i = 0; i < n; i += page) await hub.page(op as PageOp, i, page);
    } else if (op === "turn" || op === "turn-write") {
      await stub.inside(op, n);
    } else {
      return new Response(`op: call | call-read | call-write | call-statements | turn | turn-write | ${PAGE_OPS.join(" | ")}`, { status: 400 });
    }
    return new Response("ok");
  },
} satisfies ExportedHandler<Env>;

export class Probe extends DurableObject<Env> {
  private hub?: HubStore;
  private ready = false;

  /** The probe's own tables, made by the first op that needs them. */
  private tables(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS bare (pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)");
      this.ready = true;
    }
    return sql;
  }

  /** One page of `size` group messages, numbered from `first`, as `op` says (see PageOp). */
  page(op: PageOp, first: number, size: number): void {
    const sql = this.tables();
    const conv = groupConversationId("probe");
    const msgs: Message[] = Array.from({ length: size }, (_, k) => ({
      // Ids as the room makes them: time first, so the unique index grows at its end.
      id: newId("m"),
      from: `u_${(first + k) % 10}`,
      source: NATIVE_SOURCE,
      body: { type: "text", text: `see you at the station at ${(first + k) % 24}:30, bring the tickets #${first + k}` },
      at: 1_700_000_000_000 + first + k,
    }));
    if (op === "page-bare") {
      for (let k = 0; k < size; k += 10) {
        const part = msgs.slice(k, k + 10);
        sql.exec(`INSERT INTO bare (id, body) VALUES ${part.map(() => "(?, ?)").join(", ")}`, ...part.flatMap((m) => [m.id, JSON.stringify(m.body)]));
      }
      return;
    }
    this.hub ??= new HubStore(sql);
    if (first === 0) this.hub.conversations.ensure({ id: conv, kind: "group", source: NATIVE_SOURCE, title: "probe", ref: "probe" }, 0);
    const store = op === "page-searched" ? this.hub.messages : new MessageStore(sql);
    store.insertMany(conv, msgs.map((msg, k) => ({ msg, seq: first + k, state: null })));
  }

  /**
   * One call: nothing, a primary-key read, ten `SELECT 1`, or one insert (committed when the
   * call's turn ends). Statements are timed in short calls like the app's: the explorer's
   * cost per statement is not the same in a turn that runs thousands of them.
   */
  once(op: Op, i: number): void {
    const sql = this.tables();
    if (op === "call-read") sql.exec("SELECT ev FROM log WHERE seq = ?", i).toArray();
    if (op === "call-statements") for (let k = 0; k < 10; k++) sql.exec("SELECT 1").toArray();
    if (op === "call-write") sql.exec("INSERT INTO log (ev) VALUES (?)", `event ${i}`);
  }

  /** n turns of the object's own (each after a macrotask), with or without an insert each. */
  async inside(op: Op, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (op === "turn-write") this.tables().exec("INSERT INTO log (ev) VALUES (?)", `event ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
