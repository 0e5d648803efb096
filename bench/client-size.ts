// Measures what a phone downloads for the first route: the entry script, the chunks it
// imports statically, and the CSS, gzipped (budget: JS ≤ 50 KB gz). Lazy screens are
// listed separately. Run after `vite build` (npm run bench:client does both).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../client/dist/", import.meta.url).pathname;
const gz = (file: string) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

const html = readFileSync(join(dist, "index.html"), "utf8");
const entry = [...html.matchAll(/<script type="module"[^>]*src="\/([^"]+)"/g)].map((m) => m[1]!);
const preloads = [...html.matchAll(/<link rel="modulepreload"[^>]*href="\/([^"]+)"/g)].map((m) => m[1]!);
const css = [...html.matchAll(/<link rel="stylesheet"[^>]*href="\/([^"]+)"/g)].map((m) => m[1]!);
const firstJs = [...new Set([...entry, ...preloads])];

const firstJsGz = firstJs.reduce((n, f) => n + gz(f), 0);
const cssGz = css.reduce((n, f) => n + gz(f), 0);
const lazy = readdirSync(join(dist, "assets")).map((f) => `assets/${f}`).filter((f) => f.endsWith(".js") && !firstJs.includes(f));

console.log("first route (index.html → entry + static imports)");
for (const f of firstJs) console.log(`  js   ${f.padEnd(40)} ${kb(gz(f))} gz`);
for (const f of css) console.log(`  css  ${f.padEnd(40)} ${kb(gz(f))} gz`);
console.log(`  total JS ${kb(firstJsGz)} gz (budget 50 KB) · CSS ${kb(cssGz)} gz · HTML ${kb(gz("index.html"))} gz`);
console.log("lazy chunks (loaded on navigation, precached by the service worker)");
for (const f of lazy) console.log(`  js   ${f.padEnd(40)} ${kb(gz(f))} gz`);
console.log(JSON.stringify({ firstRouteJsGzBytes: firstJsGz, cssGzBytes: cssGz, withinBudget: firstJsGz <= 50 * 1024 }));
