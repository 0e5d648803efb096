// Types `env` from "cloudflare:workers" in tests as the Worker's Env plus test bindings.
type UniboxWorkerEnv = import("../env").Env;

declare namespace Cloudflare {
  interface Env extends UniboxWorkerEnv {
    FUZZ_RUNS: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}

declare namespace Cloudflare {
  // Types `exports` from "cloudflare:workers" as this Worker's entry module.
  interface GlobalProps {
    mainModule: typeof import("../index");
  }
}
