import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import preact from "@preact/preset-vite";
import { type Plugin, defineConfig } from "vite";

/**
 * Emits /sw.js with the list of every built file, so the service worker can precache
 * the whole app (lazy screens included) and the app opens offline. The version is a
 * hash of that list: any changed file makes a new worker and a fresh cache.
 */
function serviceWorker(): Plugin {
  return {
    name: "unibox-service-worker",
    apply: "build",
    generateBundle(_, bundle) {
      const files = Object.keys(bundle).filter((f) => !f.endsWith(".map") && f !== "index.html");
      const publicFiles = ["manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png", "icons/icon-maskable-512.png"];
      const urls = ["/", ...[...files, ...publicFiles].map((f) => `/${f}`)];
      const hash = createHash("sha256");
      for (const f of files) {
        const item = bundle[f]!;
        hash.update(f).update(item.type === "chunk" ? item.code : typeof item.source === "string" ? item.source : Buffer.from(item.source));
      }
      const source = readFileSync(new URL("./client/sw/sw.js", import.meta.url), "utf8")
        .replace('"__VERSION__"', JSON.stringify(hash.digest("hex").slice(0, 12)))
        .replace("= __PRECACHE__;", `= ${JSON.stringify(urls)};`);
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}

export default defineConfig({
  root: "client",
  plugins: [preact(), serviceWorker()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { proxy: { "/api": { target: "http://127.0.0.1:8787", ws: true } } },
});
