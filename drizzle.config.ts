import { defineConfig } from "drizzle-kit";

// Migrations are generated flat into migrations/ (NNNN_name.sql), which both
// `wrangler d1 migrations apply` and the test plugin's readD1Migrations read.
export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
});
