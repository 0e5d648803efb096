// Remote ids, which only this connector reads. An inbound message's id must come out the
// same whichever way the message reached us (live, as a carbon, from the archive), because
// the hub dedupes on it: so its key is the archive's XEP-0359 stanza-id where the server
// gave one, else the sender and the message's own id. It also carries what markRead needs
// later: the message's id attribute and whether the sender asked for markers (XEP-0333 §4).
// Our own sends are simply their message id, which is out.key, so the receipts and markers
// that name it (XEP-0184, XEP-0333) map straight back.

export type InboundRef = {
  /** `a:<archive id>` or `j:<bare sender>/<message id>`. */
  key: string;
  msgId?: string;
  markable: boolean;
};

const PREFIX = "x1";

export function encodeRef(ref: InboundRef): string {
  return [PREFIX, ref.key, ref.markable ? "m" : "-", ref.msgId ?? ""].map(encodeURIComponent).join(" ");
}

export function decodeRef(remoteId: string): InboundRef | null {
  const parts = remoteId.split(" ");
  if (parts.length !== 4 || parts[0] !== PREFIX) return null;
  try {
    const [, key, flag, msgId] = parts.map(decodeURIComponent);
    return { key: key!, markable: flag === "m", msgId: msgId || undefined };
  } catch {
    return null;
  }
}

export function refKey(archiveId: string | undefined, bareFrom: string, msgId: string | undefined): string | null {
  if (archiveId) return `a:${archiveId}`;
  return msgId ? `j:${bareFrom}/${msgId}` : null;
}
