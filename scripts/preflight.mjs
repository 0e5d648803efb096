// What a deployment needs before anything is uploaded (npm run deploy runs this first):
// real resource ids, every required secret, production-safe settings. Pure: given the
// config text, the secret names and the account's resources, it lists what is missing,
// each with the command that fixes it. scripts/deploy.mjs gathers the inputs with wrangler.

/** Secrets every deployment needs, and how to make each. */
export const REQUIRED_SECRETS = {
  PHONE_PEPPER: "openssl rand -base64 32 | npx wrangler secret put PHONE_PEPPER",
  CREDENTIALS_KEY: "node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\" | npx wrangler secret put CREDENTIALS_KEY",
  VAPID_PUBLIC_KEY: "node -e 'import(\"./scripts/vapid.mjs\").then((m) => console.log(m.generateVapidKeys()))', then npx wrangler secret put VAPID_PUBLIC_KEY",
  VAPID_PRIVATE_KEY: "the privateKey of the same pair: npx wrangler secret put VAPID_PRIVATE_KEY",
};

/** Local-only switches that must never reach production. */
const LOCAL_ONLY = ["ALLOW_PRIVATE_HOSTS", "PUSH_ALLOW_LOOPBACK_HTTP", "POLL_EVERY_MS", "TELEGRAM_API_ROOT", "COUNT_DO_CALLS"];

/** The few things read from wrangler.toml: D1 id, R2 bucket, queues, [vars]. */
export function readConfig(toml) {
  const value = (re) => re.exec(toml)?.[1];
  const section = (name) => {
    const m = new RegExp(`^\\[${name}\\]\\s*$([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, "m").exec(toml);
    return m?.[1] ?? "";
  };
  const vars = {};
  for (const line of section("vars").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"([^"]*)"/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return {
    d1Id: value(/^\s*database_id\s*=\s*"([^"]*)"/m),
    d1Name: value(/^\s*database_name\s*=\s*"([^"]*)"/m),
    bucket: value(/^\s*bucket_name\s*=\s*"([^"]*)"/m),
    queues: [...new Set([...toml.matchAll(/^\s*queue\s*=\s*"([^"]*)"/gm)].map((m) => m[1]))],
    vars,
  };
}

/**
 * @param {{ toml: string, secrets: string[], resources?: { d1Ids?: string[], buckets?: string[], queues?: string[] } }} input
 * @returns {string[]} one line per problem, naming the thing and how to fix it
 */
export function preflight({ toml, secrets, resources }) {
  const c = readConfig(toml);
  const problems = [];
  const have = new Set(secrets);
  if (!c.d1Id || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(c.d1Id)) {
    problems.push(`D1: database_id in wrangler.toml is a placeholder: run \`npx wrangler d1 create ${c.d1Name ?? "unibox"}\` and put its id there`);
  } else if (resources?.d1Ids && !resources.d1Ids.includes(c.d1Id)) {
    problems.push(`D1: no database ${c.d1Id} in this account: run \`npx wrangler d1 create ${c.d1Name ?? "unibox"}\` and put its id in wrangler.toml`);
  }
  if (resources?.buckets && c.bucket && !resources.buckets.includes(c.bucket)) problems.push(`R2: no bucket ${c.bucket}: run \`npx wrangler r2 bucket create ${c.bucket}\``);
  for (const q of c.queues) if (resources?.queues && !resources.queues.includes(q)) problems.push(`Queues: no queue ${q}: run \`npx wrangler queues create ${q}\``);
  for (const [name, how] of Object.entries(REQUIRED_SECRETS)) if (!have.has(name)) problems.push(`secret ${name} is missing: ${how}`);
  const v = c.vars;
  if (!v.MAIL_DOMAIN || v.MAIL_DOMAIN === "unibox.example") problems.push("MAIL_DOMAIN in wrangler.toml [vars] is the example domain: set your own (its Email Routing catch-all goes to this Worker)");
  if (!v.PUBLIC_URL || !v.PUBLIC_URL.startsWith("https://")) problems.push("PUBLIC_URL in wrangler.toml [vars] must be your deployment's https:// address (webhooks point there)");
  if (v.SMS_PROVIDER !== "twilio") problems.push('SMS_PROVIDER in wrangler.toml [vars] must be "twilio" in production (the log provider refuses non-local hosts)');
  if (v.SMS_PROVIDER === "twilio") {
    if (!v.TWILIO_ACCOUNT_SID) problems.push("TWILIO_ACCOUNT_SID in wrangler.toml [vars] is missing (your Twilio account SID)");
    if (!v.TWILIO_FROM && !v.TWILIO_MESSAGING_SERVICE_SID) problems.push("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID in wrangler.toml [vars] is missing");
    if (!have.has("TWILIO_AUTH_TOKEN")) problems.push("secret TWILIO_AUTH_TOKEN is missing: npx wrangler secret put TWILIO_AUTH_TOKEN");
  }
  if (v.SMTP_RELAY_HOST && !have.has("SMTP_RELAY_PASSWORD")) problems.push("secret SMTP_RELAY_PASSWORD is missing (SMTP_RELAY_HOST is set): npx wrangler secret put SMTP_RELAY_PASSWORD");
  for (const name of LOCAL_ONLY) if (v[name] !== undefined) problems.push(`${name} is set in wrangler.toml [vars]: it is for local development only; remove it`);
  return problems;
}
