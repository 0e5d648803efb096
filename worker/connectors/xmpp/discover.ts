// XEP-0156: where a domain's XMPP-over-WebSocket endpoint is, from its host-meta files
// (https://<domain>/.well-known/host-meta, the XRD, and host-meta.json). The URL found is
// the server's word, not ours: io.websocket still checks its host, so a domain cannot point
// Unibox at a private address.
import { type LinkIO, RemoteError } from "../types";
import { childrenOf, parseXml } from "./xml";

const REL = "urn:xmpp:alt-connections:websocket";
const MAX_BYTES = 64 * 1024;

/** The WebSocket URL for `domain`, wss:// preferred. `XMPP_DISCOVERY_ORIGIN` (tests only) replaces https://<domain>. */
export async function discoverWebsocket(io: LinkIO, domain: string): Promise<string> {
  const origin = io.config("XMPP_DISCOVERY_ORIGIN") ?? `https://${domain}`;
  const found: string[] = [];
  const reasons: string[] = [];
  for (const [file, parse] of [["host-meta.json", fromJson], ["host-meta", fromXrd]] as const) {
    try {
      found.push(...parse(await fetchSmall(io, `${origin}/.well-known/${file}`)));
    } catch (e) {
      if (e instanceof RemoteError && e.kind === "permanent") throw e; // the guard said no
      reasons.push(`${file}: ${(e as Error).message}`);
    }
    if (found.length) break;
  }
  const ws = found.filter((u) => /^wss?:\/\//i.test(u)).sort((a, b) => Number(b.startsWith("wss:")) - Number(a.startsWith("wss:")));
  if (!ws[0]) throw new RemoteError("transient", `${domain} does not say where its XMPP WebSocket is (XEP-0156${reasons.length ? `; ${reasons.join("; ")}` : ""}): enter the WebSocket URL`);
  return ws[0];
}

async function fetchSmall(io: LinkIO, url: string): Promise<string> {
  const res = await io.fetch(url, { timeoutMs: 10_000, headers: { Accept: "application/xrd+xml, application/json" } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_BYTES) throw new Error("too large");
  return text;
}

function fromJson(text: string): string[] {
  const doc = JSON.parse(text) as { links?: { rel?: unknown; href?: unknown }[] };
  return (doc.links ?? []).filter((l) => l.rel === REL && typeof l.href === "string").map((l) => l.href as string);
}

function fromXrd(text: string): string[] {
  // Hand-written host-meta files often carry comments, which stanza XML may not: drop them here.
  const xrd = parseXml(text.replace(/<!--[\s\S]*?-->/g, ""), "");
  return childrenOf(xrd, "Link")
    .filter((l) => l.attrs.rel === REL && l.attrs.href)
    .map((l) => l.attrs.href!);
}
