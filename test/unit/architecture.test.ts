// The layout's rules, checked mechanically (docs/architecture.md, "Map of the code"):
// core/ is a leaf, nothing imports in a circle (type-only imports included), and only
// core/conversation.ts knows how a conversation id is spelled.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = ["core", "worker", "durable-objects", "client/src", "client/sw", "test", "bench", "scripts"];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx|mjs|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const all = SOURCE_DIRS.flatMap((d) => files(join(root, d)));
const rel = (p: string) => relative(root, p);
const isTest = (p: string) => /\.test\.tsx?$/.test(p) || rel(p).startsWith("test/") || rel(p).startsWith("client/test/");

/** Relative imports of a file (static, dynamic and type-only), resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter((s) => s.startsWith("."));
  return specs.map((s) => resolveSpec(dirname(file), s)).filter((p): p is string => p !== null);
}

function resolveSpec(from: string, spec: string): string | null {
  const base = resolve(from, spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}.mjs`, `${base}.js`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return null;
}

describe("the map of the code", () => {
  it("keeps core/ a leaf: it imports nothing of the app", () => {
    const offenders = all
      .filter((f) => rel(f).startsWith("core/") && !isTest(f))
      .flatMap((f) => importsOf(f).filter((t) => !rel(t).startsWith("core/")).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(offenders).toEqual([]);
  });

  it("has no import cycle, type-only imports included", () => {
    const graph = new Map(all.map((f) => [f, importsOf(f)]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(" -> "));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("lets only core/conversation.ts spell or parse conversation ids", () => {
    // A string or template literal that starts like a conversation id ("d:", "g:", "r:"),
    // or SQL that cuts the prefix off an id, is code that knows the spelling.
    const spelling = /["'`][dgr]:|startsWith\(\s*["'`][dgr]:|substr\(\s*\w+\.id\s*,\s*3\s*\)/;
    const offenders = all
      .filter((f) => !isTest(f) && rel(f) !== "core/conversation.ts")
      .flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .map((line, i) => ({ line, i }))
          .filter(({ line }) => spelling.test(line) && !/^\s*(\/\/|\/\*|\*)/.test(line))
          .map(({ i, line }) => `${rel(f)}:${i + 1}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("keeps every network's code in its connector's folder", () => {
    // A network named in a string, or one of its protocol's own words, outside its folder
    // means network-specific code leaked into the framework. Allowed: the connector's folder,
    // the registry (the one place that maps names to connectors), the protocol's network
    // enum, the client's labels and badges for networks, and tests.
    const networkWords = /["'`](xmpp|irc|matrix|telegram|mastodon|bluesky)["'`]|urn:xmpp|jabber:|PRIVMSG|m\.room\.|\/_matrix\/|api\.telegram|\/api\/v[12]\/(statuses|timelines|notifications)|app\.bsky|com\.atproto|IDLE\b|UIDVALIDITY/;
    const allowed = (f: string) =>
      /^worker\/connectors\/(xmpp|irc|matrix|telegram|mastodon|bluesky|feed|mail|social)\//.test(f) ||
      f === "worker/connectors/registry.ts" || f === "core/protocol.ts" || f === "client/src/ui/networks.ts" || f.startsWith("client/src/i18n/");
    const offenders = all
      .filter((f) => !isTest(f) && !allowed(rel(f)))
      .flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .map((line, i) => ({ line, i }))
          .filter(({ line }) => networkWords.test(line) && !/^\s*(\/\/|\/\*|\*)/.test(line))
          .map(({ i, line }) => `${rel(f)}:${i + 1}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the checks above see the code they check (the scan is not empty)", () => {
    expect(all.length).toBeGreaterThan(100);
    expect(importsOf(join(root, "durable-objects/user-hub.ts")).map(rel)).toContain("durable-objects/api.ts");
  });
});
