// JIDs (RFC 7622), as far as a client needs them: split, compare bare addresses.

export type Jid = { local: string; domain: string; resource?: string };

export function parseJid(s: string): Jid | null {
  const slash = s.indexOf("/");
  const bareJid = slash < 0 ? s : s.slice(0, slash);
  const resource = slash < 0 ? undefined : s.slice(slash + 1);
  const at = bareJid.indexOf("@");
  const local = at < 0 ? "" : bareJid.slice(0, at);
  const domain = (at < 0 ? bareJid : bareJid.slice(at + 1)).toLowerCase();
  if (!domain || /[\s@/]/.test(domain) || /[\s"&'/:<>@]/.test(local) || resource === "") return null;
  return { local, domain, resource };
}

/** The bare JID, lower-cased where RFC 7622 compares case-insensitively (local part and domain). */
export function bare(s: string): string {
  const j = parseJid(s);
  if (!j) return s.split("/")[0]!.toLowerCase();
  return j.local ? `${j.local.toLowerCase()}@${j.domain}` : j.domain;
}

export const localPart = (s: string): string => parseJid(s)?.local || s;
