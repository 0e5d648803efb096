// The hub's SQLite schema: a base created once, then numbered steps applied in order;
// `meta.schema` counts the steps applied. Steps are never edited once shipped, and nor is
// the base: it runs only for a new hub (`migrate`), so a table or column added to it would
// never reach an existing one. New tables and columns go in a new step.
import { parseConversation } from "../../../core/conversation";
import { mailIndexText } from "./search";
import { SearchStore } from "./search";

const BASE = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  pos INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, conv TEXT NOT NULL, sender TEXT NOT NULL, source TEXT NOT NULL,
  body TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
  state TEXT -- own messages only: sent | delivered | read
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conv, pos);
CREATE INDEX IF NOT EXISTS messages_seq ON messages(seq);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
  peer TEXT, last_pos INTEGER, read_pos INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
  client_id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, conv TEXT NOT NULL, at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS friends (
  id TEXT PRIMARY KEY, user TEXT NOT NULL, since INTEGER NOT NULL,
  online INTEGER NOT NULL DEFAULT 0, seen_at INTEGER
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);
`;

type Step = string | ((sql: SqlStorage) => void);

const STEPS: Step[] = [
  `ALTER TABLE messages ADD COLUMN media TEXT;
   CREATE INDEX IF NOT EXISTS messages_media ON messages(media) WHERE media IS NOT NULL;
   CREATE TABLE IF NOT EXISTS own_media (id TEXT PRIMARY KEY, kind TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS groups (
     id TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL DEFAULT 'active', end_reason TEXT, joined_at INTEGER NOT NULL,
     room_seq INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE IF NOT EXISTS receipts (msg_id TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (msg_id, user));`,
  // Receipts that overtook our own copy of a message (see receipts.ts).
  `CREATE TABLE IF NOT EXISTS early_receipts (msg_id TEXT NOT NULL, payload TEXT NOT NULL);
   CREATE INDEX IF NOT EXISTS early_receipts_msg ON early_receipts(msg_id);`,
  // Web Push subscriptions of this user's browsers (see push.ts).
  `CREATE TABLE IF NOT EXISTS push_subs (endpoint TEXT PRIMARY KEY, p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  // Timers are rows: each feature owns a kind; the alarm is set for the earliest.
  `CREATE TABLE IF NOT EXISTS timers (kind TEXT PRIMARY KEY, due INTEGER NOT NULL);
   INSERT OR IGNORE INTO timers (kind, due) SELECT 'offline', CAST(v AS INTEGER) FROM meta WHERE k = 'offline_check' AND CAST(v AS INTEGER) > 0;
   DELETE FROM meta WHERE k = 'offline_check';`,
  // A conversation names what it belongs to in a column, so no query parses its id.
  `ALTER TABLE conversations ADD COLUMN ref TEXT;`,
  (sql) => {
    for (const { id } of sql.exec<{ id: string }>("SELECT id FROM conversations WHERE kind = 'group'").toArray()) {
      const key = parseConversation(id);
      if (key?.kind === "group") sql.exec("UPDATE conversations SET ref = ? WHERE id = ?", key.group, id);
    }
  },
  // Bound accounts as this hub knows them (see accounts.ts), what their remote ids map to,
  // and each account's contact list.
  `CREATE TABLE IF NOT EXISTS accounts (
     id TEXT PRIMARY KEY, account TEXT NOT NULL, removed_at INTEGER
   );
   CREATE TABLE IF NOT EXISTS remote_ids (
     account TEXT NOT NULL, remote_id TEXT NOT NULL, msg_id TEXT NOT NULL, PRIMARY KEY (account, remote_id)
   );
   CREATE INDEX IF NOT EXISTS remote_ids_msg ON remote_ids(msg_id);
   CREATE TABLE IF NOT EXISTS remote_contacts (account TEXT PRIMARY KEY, contacts TEXT NOT NULL, updated_at INTEGER NOT NULL);
   ALTER TABLE messages ADD COLUMN name TEXT;`,
  // Social items and feed entries (see feed.ts), deduped by (account, remote id).
  `CREATE TABLE IF NOT EXISTS posts (
     pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, account TEXT NOT NULL, remote_id TEXT NOT NULL,
     at INTEGER NOT NULL, post TEXT NOT NULL, UNIQUE (account, remote_id)
   );
   CREATE INDEX IF NOT EXISTS posts_account ON posts(account, pos);`,
  // One row per target of a broadcast (see broadcast.ts).
  `CREATE TABLE IF NOT EXISTS broadcasts (
     id TEXT NOT NULL, target INTEGER NOT NULL, msg_id TEXT, conv TEXT, state TEXT NOT NULL, PRIMARY KEY (id, target)
   );
   CREATE INDEX IF NOT EXISTS broadcasts_msg ON broadcasts(msg_id);`,
  // How a send to another network was asked for (a thread, a reply), so a retry asks the same (see remote-send.ts).
  `CREATE TABLE IF NOT EXISTS send_options (msg_id TEXT PRIMARY KEY, options TEXT NOT NULL);`,
  // The user's mail, every mailbox in one table (see mail.ts); text, HTML and the rest apart.
  `CREATE TABLE IF NOT EXISTS mails (
     pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, mailbox TEXT NOT NULL, remote_id TEXT NOT NULL,
     message_id TEXT, thread TEXT, at INTEGER NOT NULL, read INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,
     state TEXT, summary TEXT NOT NULL, UNIQUE (mailbox, remote_id)
   );
   CREATE INDEX IF NOT EXISTS mails_mailbox ON mails(mailbox, pos);
   CREATE INDEX IF NOT EXISTS mails_message_id ON mails(message_id) WHERE message_id IS NOT NULL;
   CREATE TABLE IF NOT EXISTS mail_parts (mail TEXT NOT NULL, part TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (mail, part));
   CREATE TABLE IF NOT EXISTS mail_files (id TEXT PRIMARY KEY, filename TEXT NOT NULL, mime TEXT NOT NULL, size INTEGER NOT NULL);`,
  // Issue 14. People: sets of (source, contact) handles the user merged (see people.ts).
  `CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE IF NOT EXISTS person_handles (
     source TEXT NOT NULL, contact TEXT NOT NULL, person TEXT NOT NULL, PRIMARY KEY (source, contact)
   );
   CREATE INDEX IF NOT EXISTS person_handles_person ON person_handles(person);
   CREATE TABLE IF NOT EXISTS person_dismissed (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
   CREATE INDEX IF NOT EXISTS messages_conv_at ON messages(conv, at);`,
  // Search: a contentless FTS5 index over messages, keyed by their pos (see store/search.ts).
  `CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');`,
  // ... and what was there before it, indexed once (new messages are indexed as they are written).
  (sql) => backfillSearch(sql),
  // Delivery timeline: each outgoing message's steps with times (see timeline.ts).
  `CREATE TABLE IF NOT EXISTS msg_steps (
     id INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL, step TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT
   );
   CREATE INDEX IF NOT EXISTS msg_steps_msg ON msg_steps(msg_id, id);`,
  // Mutes per conversation (quiet hours and the global mute are meta rows; see quiet.ts).
  `CREATE TABLE IF NOT EXISTS conv_mutes (conv TEXT PRIMARY KEY, until INTEGER);`,
  // A broadcast target refused at once keeps why, so the same frame again gets the same answer.
  `ALTER TABLE broadcasts ADD COLUMN error TEXT;`,
  // Mail in search too (store/search.ts): its own index, keyed by the mail's pos.
  `CREATE VIRTUAL TABLE IF NOT EXISTS mail_search USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');`,
  (sql) => {
    for (const r of sql.exec<{ pos: number; summary: string; text: string | null }>("SELECT m.pos, m.summary, p.content AS text FROM mails m LEFT JOIN mail_parts p ON p.mail = m.id AND p.part = 'text'").toArray()) {
      const s = JSON.parse(r.summary) as { subject?: string; from?: { address?: string; name?: string } };
      sql.exec("INSERT INTO mail_search (rowid, text) VALUES (?, ?)", r.pos, mailIndexText(s.subject ?? "", s.from?.name ?? s.from?.address ?? "", r.text ?? ""));
    }
  },
  // A receipt for a message not yet written asks whether its send is in flight, by message id:
  // without this that was a scan of every send this user ever made.
  `CREATE INDEX IF NOT EXISTS sends_msg ON sends(msg_id) WHERE done = 0;`,
];

/** Indexes every stored message (run once, by the step that made the index). */
export function backfillSearch(sql: SqlStorage): void {
  const search = new SearchStore(sql);
  for (const r of sql.exec<{ pos: number; body: string; name: string | null }>("SELECT pos, body, name FROM messages ORDER BY pos")) {
    search.add(r.pos, { body: JSON.parse(r.body), ...(r.name ? { name: r.name } : {}) });
  }
}

export function migrate(sql: SqlStorage): void {
  // Runs on every wake: a hub whose steps are all applied reads one row, not the base's
  // dozen CREATE … IF NOT EXISTS (the base is only ever created, with the first step after it).
  const applied = schemaVersion(sql);
  if (applied === STEPS.length) return;
  if (applied === 0) sql.exec(BASE);
  for (let v = applied; v < STEPS.length; v++) {
    const step = STEPS[v]!;
    if (typeof step === "string") sql.exec(step);
    else step(sql);
    sql.exec("INSERT INTO meta (k, v) VALUES ('schema', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", String(v + 1));
  }
}

/** Steps applied so far; 0 for a new hub (no meta table yet). */
function schemaVersion(sql: SqlStorage): number {
  try {
    return Number(sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'schema'").toArray()[0]?.v ?? 0);
  } catch (err) {
    if (/no such table/.test(String(err))) return 0; // nothing was ever created
    throw err;
  }
}
