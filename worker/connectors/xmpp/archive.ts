// Catch-up from the server's archive (XEP-0313 MAM, paged with XEP-0059 RSM). The cursor is
// the archive id of the last message we handed on; a query asks for what comes `after` it
// and pages until the server says `complete`. Without a cursor (a new account) it takes the
// newest page only, as history, and starts counting from there.
import { RemoteError } from "../types";
import type { Incoming } from "./convert";
import { NS } from "./ns";
import { StanzaError, type XmppStream } from "./stream";
import { child, textOf, x } from "./xml";

export type Page = { results: Incoming[]; last?: string; complete: boolean };

/** How a session hands archive results to the query that asked for them (matched by queryid). */
export type Collector = Map<string, Incoming[]>;

export async function queryPage(stream: XmppStream, collector: Collector, range: { after?: string; newest?: true }, max: number): Promise<Page> {
  const queryid = crypto.randomUUID();
  const form = x("x", { xmlns: NS.data, type: "submit" }, x("field", { var: "FORM_TYPE", type: "hidden" }, x("value", {}, NS.mam)));
  // RSM: <after/> pages forward from the cursor; an empty <before/> asks for the last page.
  const rsm = x("set", { xmlns: NS.rsm }, x("max", {}, String(max)), range.after !== undefined ? x("after", {}, range.after) : range.newest ? x("before") : undefined);
  collector.set(queryid, []);
  try {
    const answer = await stream.iq("set", x("query", { xmlns: NS.mam, queryid }, form, rsm), undefined, 60_000);
    const fin = child(answer, "fin", NS.mam);
    if (!fin) throw new RemoteError("permanent", "the archive answered without <fin/>");
    const results = collector.get(queryid) ?? [];
    const last = textOf(child(child(fin, "set", NS.rsm), "last")) || results.at(-1)?.archiveId;
    // Some servers leave out complete="true" on the last page; an empty page is the end too.
    return { results, last, complete: fin.attrs.complete === "true" || results.length === 0 };
  } finally {
    collector.delete(queryid);
  }
}

/** The cursor is gone from the archive (expired, or the archive was reset). */
export const cursorLost = (e: unknown): boolean => e instanceof StanzaError && e.condition === "item-not-found";

/** The server has no archive for us. */
export const noArchive = (e: unknown): boolean => e instanceof StanzaError && ["feature-not-implemented", "service-unavailable"].includes(e.condition);
