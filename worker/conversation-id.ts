// Kept free of zod so the client can import it without pulling the schemas in.

/** A 1:1 conversation id is the same in both users' hubs. */
export function directConversationId(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** The other participant of a direct conversation, or null when `me` is not in it. */
export function directPeer(conv: string, me: string): string | null {
  const m = /^d:([^:]+):([^:]+)$/.exec(conv);
  if (!m) return null;
  if (m[1] === me) return m[2]!;
  if (m[2] === me) return m[1]!;
  return null;
}

/** A group's conversation id, the same in every member's hub. */
export function groupConversationId(groupId: string): string {
  return `g:${groupId}`;
}
