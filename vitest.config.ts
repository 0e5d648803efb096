import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

// Two projects: "workers" runs inside workerd (hubs, D1, routes, cron); "e2e" runs in
// Node and drives a real `wrangler dev` over HTTP and WebSocket.
export default defineConfig(async () => ({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                PHONE_PEPPER: "test-pepper-not-a-secret",
                PRESENCE_GRACE_SECONDS: "5",
                // `FUZZ_RUNS=5000 npm test` for a long fuzz run.
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts"],
          setupFiles: ["./worker/test/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      // The phone client's state layer and components, in jsdom with an in-memory IndexedDB.
      {
        plugins: [preact()],
        test: {
          name: "client",
          include: ["client/**/*.test.{ts,tsx}"],
          environment: "jsdom",
          setupFiles: ["./client/test/setup.ts"],
        },
      },
      // The built client in a real Chromium against a real `wrangler dev` (run after `vite build`).
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
}));
