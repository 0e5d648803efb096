import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";
import { generateVapidKeys } from "./scripts/vapid.mjs";

// Projects: "workers" runs inside workerd (hubs, D1, routes, cron); "e2e" drives a real
// `wrangler dev` from Node; "client" tests the PWA's state and components in jsdom;
// "browser" drives the built client in a real Chromium.
const vapid = generateVapidKeys();

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
                // Web Push with throwaway keys; the tests' push service listens on 127.0.0.1.
                VAPID_PUBLIC_KEY: vapid.publicKey,
                VAPID_PRIVATE_KEY: vapid.privateKey,
                PUSH_ALLOW_LOOPBACK_HTTP: "1",
                // Connectors: a throwaway sealing key, and the loopback test servers allowed.
                CREDENTIALS_KEY: "dGVzdC1rZXktbm90LWEtc2VjcmV0LTMyLWJ5dGVzISE",
                ALLOW_PRIVATE_HOSTS: "127.0.0.1,localhost",
                // The production limits from wrangler.toml, whatever a local .dev.vars says:
                // the rate-limit tests check exactly these.
                RATE_LOGIN_PER_ACCOUNT_CLIENT: "5/900",
                RATE_LOGIN_ACCOUNT_CEILING: "100/900",
                RATE_LOGIN_PER_IP: "30/900",
                RATE_REGISTER_PER_IP: "5/3600",
                RATE_FRIEND_REQUESTS: "30/3600",
                RATE_DISCOVER: "10/3600",
                RATE_SMS_PER_NUMBER: "5/3600",
                RATE_SMS_PER_IP: "20/3600",
                RATE_UPLOADS: "300/3600",
                PHONE_LOOKUPS_PER_DAY: "1000",
                MEDIA_QUOTA_BYTES: "2147483648",
                FRIEND_DECLINE_COOLDOWN_HOURS: "24",
                // Loose here: the fuzz and group tests send a lot from one user; hub-limits.test.ts sets its own.
                RATE_SENDS_PER_USER: "100000/1",
                // `FUZZ_RUNS=5000 npm test` for a long fuzz run.
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // Our code logs from waitUntil work that can outlive a test file; relayed to vitest
          // over its RPC, such a line fails the run at teardown ("Closing rpc while
          // onUserConsoleLog was pending", vitest-dev/vitest#11153). Straight to stdout instead.
          disableConsoleIntercept: true,
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts"],
          // Connector protocol tests run in Node against the real peers (project "unit").
          exclude: ["**/*.node.test.ts", "**/node_modules/**"],
          setupFiles: ["./worker/test/apply-migrations.ts"],
          // Every file gets a fresh workerd that loads the app's whole module graph again;
          // pre-bundled, each dependency is one module instead of hundreds (zod, drizzle and
          // hono are most of them): the project's setup time fell by about a third.
          deps: {
            optimizer: {
              ssr: {
                enabled: true,
                include: ["zod", "hono", "hono/cookie", "hono/http-exception", "hono/validator", "drizzle-orm", "drizzle-orm/d1", "drizzle-orm/sqlite-core", "libphonenumber-js/min", "feedsmith", "postal-mime"],
              },
            },
          },
          // A real feed server on 127.0.0.1 for the polling tests (nothing listens inside workerd).
          globalSetup: ["./test/support/feed-global.ts"],
        },
      },
      // Node-side checks of the code and docs themselves (layout rules, protocol examples).
      {
        test: {
          name: "unit",
          // Also each connector's protocol tests (worker/connectors/<network>/*.node.test.ts),
          // in Node with test/support/node-io.ts against real peers and faithful fakes.
          include: ["test/unit/**/*.test.ts", "worker/**/*.node.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
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
