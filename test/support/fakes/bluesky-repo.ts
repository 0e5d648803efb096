// The PDS's com.atproto.repo.* methods over BlueskyState, in the reference PDS's order of
// checks (packages/pds/src/api/com/atproto/repo/*.ts): the repo must be the caller's, the
// record is prepared and validated (bluesky-records.ts), its blobs must be the caller's,
// backlink conflicts are replaced, and a second value at an existing key is a 500.
import { randomBytes } from "node:crypto";
import { XrpcError } from "./bluesky-auth";
import { checkBlobs, cid, nextTid, prepareRecord, recordCid } from "./bluesky-records";
import type { AccountRow, BlueskyState, RecordRow } from "./bluesky-state";

export type CreateInput = { repo: string; collection: string; rkey?: string; validate?: boolean; record: Record<string, unknown> };
export type DeleteInput = { repo: string; collection: string; rkey: string };

export class Repo {
  private lastIndexed = 0;

  constructor(private state: BlueskyState, private now: () => number) {}

  createRecord(input: CreateInput, did: string) {
    const account = this.owner(input.repo, did);
    const { record, status } = prepareRecord(input.collection, input.record, input.rkey, input.validate);
    checkBlobs(record, this.state.blobs.get(account.did)!);
    const rkey = input.rkey ?? nextTid(this.now());
    // The MST refuses a second value at a key and the PDS does not catch it: a 500
    // (bluesky-social/atproto#3718). A retrying client reads the record back to tell.
    if (this.state.records.has(`at://${account.did}/${input.collection}/${rkey}`)) throw new XrpcError(500, "InternalServerError", "Internal Server Error");
    if (input.validate !== false) for (const old of this.state.conflicts(account.did, input.collection, record)) this.state.delete(old);
    const row = this.store(account, input.collection, rkey, record);
    return { uri: row.uri, cid: row.cid, commit: this.commit(), ...(status ? { validationStatus: status } : {}) };
  }

  deleteRecord(input: DeleteInput, did: string) {
    const account = this.owner(input.repo, did);
    const uri = `at://${account.did}/${input.collection}/${input.rkey}`;
    if (!this.state.records.has(uri)) return {}; // a no-op, as the PDS does it
    this.state.delete(uri);
    return { commit: this.commit() };
  }

  getRecord(p: DeleteInput) {
    const account = this.state.account(p.repo);
    if (!account) throw new XrpcError(400, "InvalidRequest", "Could not locate record");
    const uri = `at://${account.did}/${p.collection}/${p.rkey}`;
    const row = this.state.records.get(uri);
    if (!row) throw new XrpcError(400, "RecordNotFound", `Could not locate record: ${uri}`);
    return { uri, cid: row.cid, value: row.value };
  }

  /** uploadBlob: the raw body is the blob; its ref is the CIDv1 (raw, sha-256) of the bytes. */
  uploadBlob(did: string, contentType: string, bytes: Buffer) {
    const mimeType = contentType.split(";")[0]!.trim() || "application/octet-stream";
    const ref = cid(bytes, "raw");
    this.state.blobs.get(did)!.set(ref, { mimeType, size: bytes.length });
    return { blob: { $type: "blob", ref: { $link: ref }, mimeType, size: bytes.length } };
  }

  /** A record written by a test control, through the same validation as a client's. */
  write(author: AccountRow, collection: string, value: Record<string, unknown>): RecordRow {
    const { record } = prepareRecord(collection, value, undefined, true);
    for (const old of this.state.conflicts(author.did, collection, record)) this.state.delete(old);
    return this.store(author, collection, nextTid(this.now()), record);
  }

  replyRefs(parentUri: string) {
    const parent = this.state.records.get(parentUri);
    if (!parent) throw new Error(`no post ${parentUri}`);
    const root = (parent.value.reply as { root: { uri: string; cid: string } } | undefined)?.root ?? { uri: parent.uri, cid: parent.cid };
    return { root, parent: { uri: parent.uri, cid: parent.cid } };
  }

  strongRef(uri: string) {
    const r = this.state.records.get(uri);
    if (!r) throw new Error(`no record ${uri}`);
    return { uri: r.uri, cid: r.cid };
  }

  private owner(repo: string, did: string): AccountRow {
    const account = this.state.account(repo);
    if (!account) throw new XrpcError(403, "AccountNotFound", "Account not found");
    if (account.did !== did) throw new XrpcError(401, "AuthenticationRequired", "Authentication Required");
    return account;
  }

  /** Indexing times strictly increase, so the AppView's order is the order of writes. */
  private store(author: AccountRow, collection: string, rkey: string, value: Record<string, unknown>): RecordRow {
    this.lastIndexed = Math.max(this.now(), this.lastIndexed + 1);
    const at = this.lastIndexed;
    const row: RecordRow = { uri: `at://${author.did}/${collection}/${rkey}`, cid: recordCid(value), did: author.did, collection, rkey, value, indexedAt: new Date(at).toISOString(), at };
    this.state.put(row);
    return row;
  }

  private commit() {
    return { cid: cid(randomBytes(32), "dag-cbor"), rev: nextTid(this.now()) };
  }
}
