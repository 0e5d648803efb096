// One log line shape everywhere: a JSON object with an `event` name and ids, so Workers Logs
// can filter by any field. Never message bodies, credentials, tokens or phone numbers: log
// ids and codes only (test/e2e/log-shape.test.ts scans a real run for leaks).

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(event: string, fields: LogFields = {}, level: "info" | "warn" | "error" = "info"): void {
  const line = JSON.stringify({ event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** An error as a log field: its class and message (messages here never carry secrets or bodies). */
export function errorField(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
