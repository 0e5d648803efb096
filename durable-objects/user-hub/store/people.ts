import type { PersonHandle } from "../../../core/protocol";
import type { MessageRow } from "./messages";

export type PersonRow = { id: string; name: string; created_at: number };

/** People the user merged: each a set of (source, contact) handles. A handle is in at most one person. */
export class PeopleStore {
  constructor(private sql: SqlStorage) {}

  create(id: string, name: string, at: number): void {
    this.sql.exec("INSERT INTO people (id, name, created_at) VALUES (?, ?, ?)", id, name, at);
  }
  get(id: string): PersonRow | undefined {
    return this.sql.exec<PersonRow>("SELECT id, name, created_at FROM people WHERE id = ?", id).toArray()[0];
  }
  all(): PersonRow[] {
    return this.sql.exec<PersonRow>("SELECT id, name, created_at FROM people ORDER BY created_at").toArray();
  }
  rename(id: string, name: string): void {
    this.sql.exec("UPDATE people SET name = ? WHERE id = ?", name, id);
  }
  /** Removes the person; its handles are free again (their conversations were never touched). */
  remove(id: string): void {
    this.sql.exec("DELETE FROM person_handles WHERE person = ?", id);
    this.sql.exec("DELETE FROM people WHERE id = ?", id);
  }

  handles(person: string): PersonHandle[] {
    return this.sql.exec<PersonHandle>("SELECT source, contact FROM person_handles WHERE person = ? ORDER BY rowid", person).toArray();
  }
  personOf(h: PersonHandle): string | undefined {
    return this.sql.exec<{ person: string }>("SELECT person FROM person_handles WHERE source = ? AND contact = ?", h.source, h.contact).toArray()[0]?.person;
  }
  /** Puts the handle in `person`, moving it out of any other. */
  attach(person: string, h: PersonHandle): void {
    this.sql.exec(
      "INSERT INTO person_handles (source, contact, person) VALUES (?, ?, ?) ON CONFLICT(source, contact) DO UPDATE SET person = excluded.person",
      h.source, h.contact, person,
    );
  }
  /** Every handle in a person: (source, contact) → person. */
  assigned(): Map<string, string> {
    const out = new Map<string, string>();
    for (const r of this.sql.exec<{ source: string; contact: string; person: string }>("SELECT source, contact, person FROM person_handles")) {
      out.set(handleKey(r), r.person);
    }
    return out;
  }

  // ---- the merged view over their conversations -----------------------------------------
  /** Messages of these conversations, newest first, before ("at", "pos"). */
  messagesAcross(convs: string[], before: { at: number; pos: number } | undefined, limit: number): MessageRow[] {
    if (convs.length === 0) return [];
    const at = before?.at ?? Number.MAX_SAFE_INTEGER;
    const pos = before?.pos ?? Number.MAX_SAFE_INTEGER;
    return this.sql
      .exec<MessageRow>(
        `SELECT * FROM messages WHERE conv IN (${convs.map(() => "?").join(",")}) AND (at < ? OR (at = ? AND pos < ?)) ORDER BY at DESC, pos DESC LIMIT ?`,
        ...convs, at, at, pos, limit,
      )
      .toArray();
  }
  /** Of these conversations, the one where someone other than `me` wrote last (else where `me` did). */
  lastWriter(convs: string[], me: string): string | undefined {
    if (convs.length === 0) return undefined;
    const marks = convs.map(() => "?").join(",");
    const theirs = this.sql.exec<{ conv: string }>(`SELECT conv FROM messages WHERE conv IN (${marks}) AND sender != ? ORDER BY at DESC, pos DESC LIMIT 1`, ...convs, me).toArray()[0];
    return theirs?.conv ?? this.sql.exec<{ conv: string }>(`SELECT conv FROM messages WHERE conv IN (${marks}) ORDER BY at DESC, pos DESC LIMIT 1`, ...convs).toArray()[0]?.conv;
  }
  /** On an account, who wrote in which chat (the caller keeps the chats that are named after their writer). */
  writers(account: string, me: string): { conv: string; id: string; name: string | null }[] {
    return this.sql
      .exec<{ conv: string; id: string; name: string | null }>(
        `SELECT m.conv AS conv, m.sender AS id, MAX(m.name) AS name FROM conversations c JOIN messages m ON m.conv = c.id
         WHERE c.kind = 'remote' AND c.ref = ? AND m.sender != ? GROUP BY m.conv, m.sender LIMIT 1000`,
        account, me,
      )
      .toArray();
  }

  // ---- suggestions the user turned down (or confirmed): never proposed again ------------
  dismiss(key: string, at: number): void {
    this.sql.exec("INSERT OR IGNORE INTO person_dismissed (key, at) VALUES (?, ?)", key, at);
  }
  dismissed(): Set<string> {
    return new Set(this.sql.exec<{ key: string }>("SELECT key FROM person_dismissed").toArray().map((r) => r.key));
  }
}

export const handleKey = (h: PersonHandle): string => `${h.source}\n${h.contact}`;
