// Outbound connections to hosts a user typed in (an XMPP server, an IRC network, an IMAP
// host, a homeserver, a feed) must never reach this machine or a private network: no
// loopback, private, link-local, CGNAT, multicast or reserved addresses, and no names that
// only mean something inside (localhost, *.local, *.internal). The server's config may allow
// listed hosts (ALLOW_PRIVATE_HOSTS="127.0.0.1,localhost" in local development and tests;
// never in production). Names are checked as written; Cloudflare's own egress does not route
// to private ranges either, which covers a public name that resolves to one.
import { RemoteError } from "./types";

export function allowedHosts(spec: string | undefined): Set<string> {
  return new Set((spec ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean));
}

/** Throws RemoteError("permanent") when the host may not be reached. */
export function checkHost(host: string, allow: Set<string>): void {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (allow.has(h)) return;
  if (!h) throw refused(host, "no host");
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".home.arpa") || !h.includes(".") && !h.includes(":")) {
    throw refused(host, "a local name");
  }
  const v4 = ipv4(h);
  if (v4 && privateV4(v4)) throw refused(host, "a private or reserved address");
  if (h.includes(":") && privateV6(h)) throw refused(host, "a private or reserved address");
}

const refused = (host: string, why: string) => new RemoteError("permanent", `${host} is ${why}; Unibox does not connect there`);

function ipv4(h: string): number[] | null {
  // Also the forms browsers accept: 127.1, 0x7f.0.0.1, 2130706433.
  const parts = h.split(".");
  if (parts.length < 1 || parts.length > 4 || !parts.every((p) => /^(0x[0-9a-f]+|\d+)$/.test(p))) return null;
  const nums = parts.map((p) => Number(p));
  if (nums.some((n) => !Number.isFinite(n))) return null;
  const last = nums.pop()!;
  const bytes = [...nums];
  const rest = 4 - nums.length;
  for (let i = rest - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes.length === 4 && bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && b! >= 64 && b! <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19)) || a! >= 224
  );
}

function privateV6(h: string): boolean {
  if (h === "::" || h === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) return privateV4(ipv4(mapped[1]!)!);
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(h) || h.startsWith("64:ff9b:") || h.startsWith("2001:db8:");
}

/** The host of a URL, for checking; non-http(s)/ws(s) schemes are refused. */
export function hostOf(url: string | URL): string {
  const u = new URL(url);
  if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol)) throw new RemoteError("permanent", `${u.protocol} URLs are not allowed`);
  return u.hostname;
}
