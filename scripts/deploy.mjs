// `npm run deploy`: the preflight (scripts/preflight.mjs) against the real account, then the
// client build, the D1 migrations on the remote database, and `wrangler deploy`. Nothing is
// uploaded while anything is missing; each problem says how to fix it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { preflight } from "./preflight.mjs";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const wrangler = (...args) => execFileSync("npx", ["wrangler", ...args], { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
const tryList = (what, run) => {
  try {
    return run();
  } catch (err) {
    console.error(`preflight: could not list ${what} (signed in? \`npx wrangler login\`): ${String(err.stderr ?? err).split("\n")[0]}`);
    return undefined;
  }
};

const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
const secrets = tryList("secrets", () => JSON.parse(wrangler("secret", "list", "--format", "json")).map((s) => s.name)) ?? [];
const d1Ids = tryList("D1 databases", () => JSON.parse(wrangler("d1", "list", "--json")).map((d) => d.uuid));
const buckets = tryList("R2 buckets", () => [...wrangler("r2", "bucket", "list").matchAll(/^name:\s*(\S+)/gm)].map((m) => m[1]));
const queues = tryList("queues", () => [...wrangler("queues", "list").matchAll(/│\s*[0-9a-f]{32}\s*│\s*(\S+)/g)].map((m) => m[1]));

const problems = preflight({ toml, secrets, resources: { d1Ids, buckets, queues } });
if (problems.length > 0) {
  console.error(`Not deploying: ${problems.length} thing(s) to fix first (docs/deploy.md):\n  - ${problems.join("\n  - ")}`);
  process.exit(1);
}
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit", env });
run("npx", ["vite", "build"]);
run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--remote"]);
run("npx", ["wrangler", "deploy"]);
