import type { Post } from "../../../core/protocol";

/** The user's social feed: items from every bound social network and feed, in arrival order. */
export class PostStore {
  constructor(private sql: SqlStorage) {}

  has(account: string, remoteId: string): boolean {
    return this.sql.exec("SELECT 1 FROM posts WHERE account = ? AND remote_id = ?", account, remoteId).toArray().length > 0;
  }

  /** Stores a post; false when this (account, remote id) is already here. */
  add(post: Post): boolean {
    return this.sql.exec("INSERT OR IGNORE INTO posts (id, account, remote_id, at, post) VALUES (?, ?, ?, ?, ?)", post.id, post.account, post.remoteId, post.at, JSON.stringify(post)).rowsWritten > 0;
  }

  get(id: string): Post | undefined {
    const row = this.sql.exec<{ post: string }>("SELECT post FROM posts WHERE id = ?", id).toArray()[0];
    return row && (JSON.parse(row.post) as Post);
  }

  /** Rewrites a stored post in place (its place in the feed stays). */
  update(post: Post): void {
    this.sql.exec("UPDATE posts SET post = ? WHERE id = ?", JSON.stringify(post), post.id);
  }

  /** Newest first; `before` is the cursor of the next older page. */
  page(account: string | undefined, before: number | undefined, limit: number): { posts: Post[]; before?: string } {
    const rows = this.sql
      .exec<{ pos: number; post: string }>(
        `SELECT pos, post FROM posts WHERE pos < ? ${account ? "AND account = ?" : ""} ORDER BY pos DESC LIMIT ?`,
        ...[before ?? Number.MAX_SAFE_INTEGER, ...(account ? [account] : []), limit + 1],
      )
      .toArray();
    const page = rows.slice(0, limit);
    return { posts: page.map((r) => JSON.parse(r.post) as Post), ...(rows.length > limit ? { before: String(page.at(-1)!.pos) } : {}) };
  }
}
