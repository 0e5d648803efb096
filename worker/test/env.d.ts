declare namespace Cloudflare {
  interface Env extends import("../env").Env {
    FUZZ_RUNS: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
