// What the receiving server found out about the sender (RFC 8601 Authentication-Results):
// SPF, DKIM and DMARC results, and one verdict the Mail tab shows.
//
// Which header to believe: anyone can write an Authentication-Results header into a mail
// before sending it, so only the one the receiving server added counts (RFC 8601 §5). That
// is the one with our server's authserv-id when it is known (`trusted`), else the topmost
// one: headers are prepended as a message travels, so the first is the last hop's.

export type AuthResults = { spf?: string; dkim?: string; dmarc?: string };

/**
 * - `authenticated`: DMARC passed, so the From domain itself vouched for the mail. SPF or
 *   DKIM alone do not: they may pass for some other domain than the one in From.
 * - `possibly_forged`: DMARC failed, or SPF failed (fail or softfail) and a DKIM signature
 *   was present and failed. Both checks failing is the brief's rule; a missing signature
 *   with a failed SPF stays `unverified`, because a forwarded mail fails SPF honestly.
 * - `unverified`: anything else, including no header at all.
 */
export type AuthVerdict = "authenticated" | "possibly_forged" | "unverified";

export function authVerdict(auth: AuthResults | undefined): AuthVerdict {
  if (!auth) return "unverified";
  const spfFailed = auth.spf === "fail" || auth.spf === "softfail";
  if (auth.dmarc === "fail" || (spfFailed && auth.dkim === "fail")) return "possibly_forged";
  return auth.dmarc === "pass" ? "authenticated" : "unverified";
}

/** The results from a message's Authentication-Results header values (in header order). */
export function authResults(headers: string[], trusted?: string): AuthResults | undefined {
  const parsed = headers.map(parseHeader).filter((h) => h !== null);
  const chosen = trusted ? parsed.find((h) => h.authservId === trusted.toLowerCase()) : parsed[0];
  if (!chosen || chosen.results.length === 0) return undefined;
  const out: AuthResults = {};
  for (const method of ["spf", "dkim", "dmarc"] as const) {
    const results = chosen.results.filter((r) => r.method === method).map((r) => r.result);
    // Several DKIM signatures: one that verifies is enough; otherwise a failure is news.
    const best = results.find((r) => r === "pass") ?? results.find((r) => r === "fail") ?? results[0];
    if (best) out[method] = best;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The same results from ARC-Authentication-Results (RFC 8617 §4.1.1: "i=<n>;" then an
 * Authentication-Results value), which a forwarder such as Cloudflare Email Routing writes.
 * Anyone can write one, and checking the ARC seals is not done here, so it counts only from
 * the trusted authserv-id, newest instance first.
 */
export function arcResults(headers: string[], trusted: string): AuthResults | undefined {
  const byInstance = headers
    .map((h) => /^\s*i\s*=\s*(\d+)\s*;(.*)$/s.exec(h))
    .filter((m) => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => m[2]!);
  return authResults(byInstance, trusted);
}

type Parsed = { authservId: string; results: { method: string; result: string }[] };

function parseHeader(value: string): Parsed | null {
  const [head, ...resinfo] = splitOutsideQuotes(stripComments(value), ";");
  const authservId = head?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return null;
  const results = resinfo.flatMap((r) => {
    // methodspec: method [/version] = result, then reason and properties we do not need.
    const m = /^\s*([a-z0-9-]+)\s*(?:\/\s*\d+\s*)?=\s*([a-z]+)/i.exec(r);
    return m ? [{ method: m[1]!.toLowerCase(), result: m[2]!.toLowerCase() }] : [];
  });
  return { authservId, results };
}

/** Drops (comments), which may nest and may hold ";" (RFC 5322 §3.2.2), but not inside quotes. */
function stripComments(s: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && (quoted || depth > 0)) {
      if (!depth) out += c + (s[i + 1] ?? "");
      i++;
    } else if (c === '"' && !depth) {
      quoted = !quoted;
      out += c;
    } else if (c === "(" && !quoted) depth++;
    else if (c === ")" && !quoted && depth) depth--;
    else if (!depth) out += c;
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}
