// Search over everything the user has (issue 14): the hub's own FTS5 index (store/search.ts),
// so it only ever sees this user's copies of messages; another user's history is in another
// hub's SQLite and cannot be reached from here. Filters: source, person, conversation, dates.
import { refusal, type Result } from "../../core/errors";
import type { MailSummary, StoredMessage } from "../../core/protocol";
import type { Hub } from "./context";
import type { People } from "./people";
import { bodyText, matchQuery } from "./store/search";

export type SearchInput = { q: string; source?: string; person?: string; conv?: string; from?: number; to?: number; before?: string; limit?: number };
type Hit = { message?: StoredMessage; mail?: MailSummary; title: string; snippet: string; person?: string };

const SNIPPET_CHARS = 120;

export class Search {
  constructor(
    private hub: Hub,
    private people: People,
  ) {}

  find(input: SearchInput): Result<{ hits: Hit[]; before?: string }> {
    const { store } = this.hub;
    let convs: string[] | undefined;
    if (input.person) {
      const of = this.people.convsOf(input.person);
      if (!of) return refusal("person_not_found", "no such person");
      convs = of;
    }
    if (input.conv) convs = convs ? convs.filter((c) => c === input.conv) : [input.conv];
    const limit = input.limit ?? 30;
    const [at, pos] = (input.before ?? "").split(":").map(Number);
    const found = (store.search.find(input.q, { source: input.source, from: input.from, to: input.to, convs, ...(input.before ? { before: { at: at!, pos: pos! } } : {}) }, limit + 1) as (StoredMessage & { pos: number })[])
      .map(({ pos, ...message }) => ({ at: message.at, pos, hit: () => this.hit(message, input.q) }));
    // Mail is searched too: a person's mail is what came from their addresses; a conversation has none.
    const match = matchQuery(input.q);
    const mailbox = input.source && input.source !== "unibox" ? input.source : undefined;
    const senders = input.person ? (this.people.get(input.person)?.handles.map((h) => h.contact).filter((c) => c.includes("@")) ?? []) : undefined;
    const mails = !match || input.conv || input.source === "unibox" ? [] : store.mail.find(match, { mailbox, senders, from: input.from, to: input.to, ...(input.before ? { before: at! } : {}) }, limit + 1)
      .map((m) => ({ at: m.at, pos: 0, hit: (): Hit => { const { pos: _p, text, ...mail } = m; return { mail, title: mail.subject || mail.from.name || mail.from.address, snippet: snippet(text, input.q), ...(input.person ? { person: input.person } : {}) }; } }));
    const merged = [...found, ...mails].sort((a, b) => b.at - a.at || b.pos - a.pos);
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    return { ok: true, hits: page.map((x) => x.hit()), ...(merged.length > limit && last ? { before: `${last.at}:${last.pos}` } : {}) };
  }

  private hit(message: StoredMessage, q: string): Hit {
    const person = this.people.personOfConv(message.conv);
    return { message, title: this.hub.store.conversations.title(message.conv) ?? message.conv, snippet: snippet(bodyText(message.body), q), ...(person ? { person } : {}) };
  }
}

/** The words around the first match, so a long mail shows where the word is. */
export function snippet(text: string, q: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const lower = flat.toLocaleLowerCase();
  const first = q
    .toLocaleLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => lower.indexOf(w))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  if (first === undefined || flat.length <= SNIPPET_CHARS) return flat.slice(0, SNIPPET_CHARS);
  const start = Math.max(0, first - SNIPPET_CHARS / 3);
  return `${start > 0 ? "…" : ""}${flat.slice(start, start + SNIPPET_CHARS).trim()}${start + SNIPPET_CHARS < flat.length ? "…" : ""}`;
}
