// docs/protocol.md cannot drift from the schemas: every ```json example names the schema it
// shows (```json schema=<export of core/protocol.ts>) and must parse with it, and every frame
// written inline in the frame tables (`{"t":…}`) must parse as a client or a server frame.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import * as protocol from "../../core/protocol";

const doc = readFileSync(resolve(import.meta.dirname, "../../docs/protocol.md"), "utf8");

type Example = { schema: string | undefined; line: number; values: unknown[] };

/** The JSON values in a block, one after another (each may span lines); `//` lines are comments. */
function values(body: string): unknown[] {
  const out: unknown[] = [];
  let acc = "";
  for (const line of body.split("\n")) {
    if (/^\s*\/\//.test(line)) continue;
    acc += `${line}\n`;
    try {
      out.push(JSON.parse(acc));
      acc = "";
    } catch {}
  }
  if (acc.trim()) throw new Error(`not JSON: ${acc.slice(0, 120)}`);
  return out;
}

function examples(): Example[] {
  const found: Example[] = [];
  const fence = /^( *)```json([^\n]*)\n([\s\S]*?)^\1```/gm;
  for (const m of doc.matchAll(fence)) {
    const schema = /schema=(\w+)/.exec(m[2]!)?.[1];
    found.push({ schema, line: doc.slice(0, m.index).split("\n").length, values: values(m[3]!) });
  }
  return found;
}

const schemaNamed = (name: string) => (protocol as Record<string, unknown>)[name] as z.ZodType | undefined;

describe("docs/protocol.md examples", () => {
  const all = examples();

  it("has examples, and each names a schema that exists", () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
    expect(all.filter((e) => !e.schema || !schemaNamed(e.schema)).map((e) => `line ${e.line}: ${e.schema ?? "no schema="}`)).toEqual([]);
  });

  it("parses every example with the schema it names", () => {
    const failures: string[] = [];
    for (const e of all) {
      const schema = schemaNamed(e.schema!)!;
      e.values.forEach((v, i) => {
        const r = schema.safeParse(v);
        if (!r.success) failures.push(`line ${e.line} (#${i + 1}, ${e.schema}): ${r.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
      });
    }
    expect(failures).toEqual([]);
  });

  it("parses every inline frame in the frame tables as a client or server frame", () => {
    const frames = [...doc.matchAll(/`(\{"t":[^`]+\})`/g)].map((m) => m[1]!);
    expect(frames.length).toBeGreaterThan(8);
    const bad = frames.filter((f) => {
      const v = JSON.parse(f);
      return !protocol.clientFrame.safeParse(v).success && !protocol.serverFrame.safeParse(v).success;
    });
    expect(bad).toEqual([]);
  });

  it("catches a wrong example (the check can fail)", () => {
    expect(protocol.registerBody.safeParse({ handle: "x", phone: "1" }).success).toBe(false);
    expect(() => values("{ not json")).toThrow();
  });
});
