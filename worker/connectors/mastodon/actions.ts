// Reply, boost and favourite (docs methods/statuses). Boosting or favouriting a boost acts
// on the boosted status, as Mastodon itself resolves it (Favourite and ReblogService take
// `status.reblog`), and both are idempotent there: doing it twice changes nothing.
import { type SocialActions, TIMELINE_CHAT } from "../social";
import { failure } from "../social/http";
import type { LinkIO, SendResult } from "../types";
import { api, type Creds, type Status } from "./api";
import { send } from "./send";

async function act(creds: Creds, io: LinkIO, remoteId: string, action: "reblog" | "favourite"): Promise<SendResult> {
  try {
    const { body } = await api<Status>(creds, io, `/api/v1/statuses/${encodeURIComponent(remoteId)}/${action}`, { method: "POST" });
    // A boost answers the new boost; a favourite the status asked about (a boost shows its original inside).
    const shown = body.reblog ?? body;
    return { ok: true, remoteId: action === "reblog" ? body.id : shown.id, at: Date.now(), url: shown.url ?? shown.uri };
  } catch (err) {
    return failure(err);
  }
}

export const actions = {
  reply: (creds, io, { key, remoteId, text }) => send(creds, io, { key, chat: TIMELINE_CHAT, body: { type: "text", text }, replyTo: remoteId }),
  boost: (creds, io, remoteId) => act(creds, io, remoteId, "reblog"),
  like: (creds, io, remoteId) => act(creds, io, remoteId, "favourite"),
} satisfies SocialActions<Creds>;
