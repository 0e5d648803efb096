// Record writes checked as the reference PDS checks them (packages/pds/src/repo/prepare.ts):
// the $type must match the collection, the rkey must be record-key syntax and fit the
// Lexicon's key type (`tid` for posts, likes, reposts, follows), and the record must pass
// the Lexicon validators that @atproto/api ships. Blob refs must name blobs this account
// uploaded, with the same MIME type and size (actor-store/blob/transactor.ts).
import { createHash } from "node:crypto";
import { jsonToLex, lexicons } from "@atproto/api";
import { XrpcError } from "./bluesky-auth";

export type ValidationStatus = "valid" | "unknown" | undefined;
export type BlobRow = { mimeType: string; size: number };

const invalid = (message: string, error = "InvalidRequest") => new XrpcError(400, error, message);

/** The atproto record-key syntax (atproto.com/specs/record-key). */
export const isRecordKey = (k: string) => /^[A-Za-z0-9._:~-]{1,512}$/.test(k) && k !== "." && k !== "..";
/** A TID: 13 base32-sortable characters, the first not setting the top bit. */
export const isTid = (k: string) => /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/.test(k);

export function prepareRecord(collection: string, input: Record<string, unknown>, rkey: string | undefined, validate: boolean | undefined): { record: Record<string, unknown>; status: ValidationStatus } {
  const record = input.$type === undefined ? { ...input, $type: collection } : input;
  if (record.$type !== collection) throw invalid(`Invalid $type: expected ${collection}, got ${String(record.$type)}`);
  if (rkey !== undefined && !isRecordKey(rkey)) throw invalid(`Invalid record key: ${rkey}`);
  if (validate === false) return { record, status: undefined };
  const def = knownRecord(collection);
  if (!def) {
    if (validate === true) throw invalid(`Unknown lexicon type: ${collection}`);
    return { record, status: "unknown" };
  }
  if (rkey !== undefined && !keyFits(def.key, rkey)) throw invalid(`Invalid record key for ${collection}: ${keyProblem(def.key)}`);
  try {
    lexicons.assertValidRecord(collection, jsonToLex(record));
  } catch (err) {
    throw invalid(`Invalid ${collection} record: ${(err as Error).message}`);
  }
  return { record, status: "valid" };
}

function knownRecord(collection: string): { key: string } | undefined {
  try {
    const def = lexicons.getDef(collection) as { type?: string; key?: string } | undefined;
    return def?.type === "record" ? { key: def.key ?? "any" } : undefined;
  } catch {
    return undefined;
  }
}

function keyFits(key: string, rkey: string): boolean {
  if (key === "tid") return isTid(rkey);
  if (key === "nsid") return /^[a-zA-Z]([a-zA-Z0-9-]*\.)+[a-zA-Z][a-zA-Z0-9]*$/.test(rkey);
  if (key.startsWith("literal:")) return rkey === key.slice("literal:".length);
  return true; // "any"
}

const keyProblem = (key: string) => (key === "tid" ? "must be a valid TID" : key.startsWith("literal:") ? `must be "${key.slice(8)}"` : `must be a valid ${key}`);

/** Every `{"$type":"blob"}` ref in a record, checked against what the account uploaded. */
export function checkBlobs(record: unknown, uploaded: Map<string, BlobRow>): void {
  for (const ref of blobRefs(record)) {
    const found = uploaded.get(ref.cid);
    if (!found) throw invalid(`Could not find blob: ${ref.cid}`, "BlobNotFound");
    if (found.mimeType !== ref.mimeType) throw invalid(`Referenced Mimetype does not match stored blob. Expected: ${found.mimeType}, Got: ${ref.mimeType}`, "InvalidMimeType");
    if (found.size !== ref.size) throw invalid(`Referenced Size does not match stored blob. Expected: ${found.size}, Got: ${ref.size}`, "InvalidSize");
  }
}

function blobRefs(value: unknown, out: { cid: string; mimeType: string; size: number }[] = []): { cid: string; mimeType: string; size: number }[] {
  if (Array.isArray(value)) for (const v of value) blobRefs(v, out);
  else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o.$type === "blob") out.push({ cid: (o.ref as { $link: string }).$link, mimeType: String(o.mimeType), size: Number(o.size) });
    else for (const v of Object.values(o)) blobRefs(v, out);
  }
  return out;
}

/**
 * A CIDv1 (sha-256, base32): `raw` for blob bytes, as the PDS computes it; `dag-cbor` for
 * records, hashed here over sorted-key JSON instead of DAG-CBOR, so a record's CID is a
 * well-formed CID that is stable for the same content but not the one a PDS would compute.
 */
export function cid(bytes: Buffer, codec: "raw" | "dag-cbor"): string {
  const digest = createHash("sha256").update(bytes).digest();
  return `b${base32(Buffer.concat([Buffer.from([0x01, codec === "raw" ? 0x55 : 0x71, 0x12, 0x20]), digest]))}`;
}

export function recordCid(record: unknown): string {
  return cid(Buffer.from(canonical(record)), "dag-cbor");
}

const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(",")}]`
    : v && typeof v === "object"
      ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`
      : JSON.stringify(v);

function base32(bytes: Buffer): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const S32 = "234567abcdefghijklmnopqrstuvwxyz";
let lastTid = 0n;

/** A TID for now: microseconds since the epoch (53 bits) and a 10-bit clock id, never repeating. */
export function nextTid(nowMs: number): string {
  let n = (BigInt(nowMs) * 1000n) << 10n;
  if (n <= lastTid) n = lastTid + 1n;
  lastTid = n;
  let out = "";
  for (let i = 0; i < 13; i++) {
    out = S32[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

/**
 * What is wrong with a post's facets that the PDS lets through (the Lexicon only says the
 * offsets are integers ≥ 0): a range outside the UTF-8 text, an empty or overlapping range,
 * a mention whose text does not start with "@". The AppView drops or misplaces such facets,
 * so connector tests assert this comes back empty.
 */
export function facetProblems(record: { text?: unknown; facets?: unknown }): string[] {
  const text = Buffer.from(String(record.text ?? ""), "utf8");
  const facets = (record.facets ?? []) as { index: { byteStart: number; byteEnd: number }; features: { $type?: string }[] }[];
  const problems: string[] = [];
  let lastEnd = 0;
  const sorted = [...facets].sort((a, b) => a.index.byteStart - b.index.byteStart);
  for (const [i, f] of sorted.entries()) {
    const { byteStart, byteEnd } = f.index;
    const slice = text.subarray(byteStart, byteEnd).toString("utf8");
    if (byteEnd > text.length) problems.push(`facet ${i}: byteEnd ${byteEnd} is past the text's ${text.length} bytes`);
    if (byteStart >= byteEnd) problems.push(`facet ${i}: empty range ${byteStart}..${byteEnd}`);
    if (byteStart < lastEnd) problems.push(`facet ${i}: overlaps the previous facet`);
    if (f.features.some((x) => x.$type === "app.bsky.richtext.facet#mention") && !slice.startsWith("@")) problems.push(`facet ${i}: mention text "${slice}" does not start with @`);
    lastEnd = Math.max(lastEnd, byteEnd);
  }
  return problems;
}
