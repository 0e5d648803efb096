// The deploy preflight refuses what would deploy a broken or unsafe Unibox, naming each thing.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { preflight, readConfig, REQUIRED_SECRETS } from "../../scripts/preflight.mjs";

const repoToml = readFileSync(resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");
const ready = repoToml
  .replace(/database_id = "[^"]*"/, 'database_id = "4f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"')
  .replace('MAIL_DOMAIN = "unibox.example"', 'MAIL_DOMAIN = "chat.example.org"\nPUBLIC_URL = "https://chat.example.org"\nSMS_PROVIDER = "twilio"\nTWILIO_ACCOUNT_SID = "AC123"\nTWILIO_FROM = "+15005550006"');
const allSecrets = [...Object.keys(REQUIRED_SECRETS), "TWILIO_AUTH_TOKEN"];
const resources = { d1Ids: ["4f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"], buckets: ["unibox-media"], queues: ["unibox-poll"] };

describe("the deploy preflight", () => {
  it("reads the repository's own config", () => {
    const c = readConfig(repoToml);
    expect(c).toMatchObject({ d1Name: "unibox", bucket: "unibox-media", queues: ["unibox-poll"] });
    expect(c.vars.MAIL_DOMAIN).toBe("unibox.example");
  });

  it("refuses the repository as it is: a placeholder D1 id, the example mail domain, no SMS provider, every secret missing", () => {
    const problems = preflight({ toml: repoToml, secrets: [] });
    expect(problems.some((p) => p.startsWith("D1: database_id in wrangler.toml is a placeholder") && p.includes("wrangler d1 create unibox"))).toBe(true);
    for (const name of Object.keys(REQUIRED_SECRETS)) expect(problems.some((p) => p.startsWith(`secret ${name} is missing`))).toBe(true);
    expect(problems.some((p) => p.startsWith("MAIL_DOMAIN"))).toBe(true);
    expect(problems.some((p) => p.startsWith("SMS_PROVIDER"))).toBe(true);
  });

  it("names each missing secret and resource, and nothing else, in an otherwise ready config", () => {
    expect(preflight({ toml: ready, secrets: allSecrets, resources })).toEqual([]);
    expect(preflight({ toml: ready, secrets: allSecrets.filter((s) => s !== "CREDENTIALS_KEY"), resources })).toEqual([expect.stringMatching(/^secret CREDENTIALS_KEY is missing: .*wrangler secret put CREDENTIALS_KEY/)]);
    expect(preflight({ toml: ready, secrets: allSecrets, resources: { ...resources, buckets: [], queues: [] } })).toEqual([
      "R2: no bucket unibox-media: run `npx wrangler r2 bucket create unibox-media`",
      "Queues: no queue unibox-poll: run `npx wrangler queues create unibox-poll`",
    ]);
    expect(preflight({ toml: ready, secrets: allSecrets.filter((s) => s !== "TWILIO_AUTH_TOKEN"), resources })).toEqual([expect.stringMatching(/^secret TWILIO_AUTH_TOKEN is missing/)]);
  });

  it("refuses local-only switches in production vars", () => {
    const local = ready.replace('MAIL_DOMAIN = "chat.example.org"', 'MAIL_DOMAIN = "chat.example.org"\nALLOW_PRIVATE_HOSTS = "127.0.0.1"');
    expect(preflight({ toml: local, secrets: allSecrets, resources })).toEqual([expect.stringMatching(/^ALLOW_PRIVATE_HOSTS is set/)]);
    const counting = ready.replace('MAIL_DOMAIN = "chat.example.org"', 'MAIL_DOMAIN = "chat.example.org"\nCOUNT_DO_CALLS = "1"');
    expect(preflight({ toml: counting, secrets: allSecrets, resources })).toEqual([expect.stringMatching(/^COUNT_DO_CALLS is set/)]);
  });
});
