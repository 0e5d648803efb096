import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: "client",
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true },
  server: { proxy: { "/api": { target: "http://127.0.0.1:8787", ws: true } } },
});
