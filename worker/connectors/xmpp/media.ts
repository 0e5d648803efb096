// Pictures and other media people send over XMPP: uploaded to their server (XEP-0363) and
// sent as a link, the body being the URL and a XEP-0066 <x xmlns="jabber:x:oob"/> saying so.
// The bytes are fetched through io.fetch (the network guard applies: a link to a private
// address is not followed) and stored with io.media.put, so the message shows the picture.
import { readCapped } from "../../../core/bytes";
import type { Body } from "../../../core/protocol";
import { type LinkIO, RemoteError } from "../types";

const MAX_BYTES = 16 * 1024 * 1024;
const KINDS = /^(image|audio|video)\//;

/** A media body for the link, or null to keep the message as the text link it is. */
export async function fetchMedia(io: LinkIO, url: string): Promise<Body | null> {
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const res = await io.fetch(url, { timeoutMs: 20_000 });
    const mime = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    const length = Number(res.headers.get("Content-Length") ?? "0");
    if (!res.ok || !KINDS.test(mime) || length > MAX_BYTES) {
      await res.body?.cancel();
      return null;
    }
    const bytes = await readCapped(res.body, MAX_BYTES);
    if (!bytes) return null;
    const name = decodeURIComponent(new URL(url).pathname.split("/").pop() || "file");
    const stored = await io.media.put(bytes, mime, name);
    return { type: stored.type, media: stored.id };
  } catch (e) {
    io.log("xmpp.media_failed", { kind: e instanceof RemoteError ? e.kind : "fetch" }); // not the URL: it is message content
    return null;
  }
}
