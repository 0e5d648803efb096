import { describe, expect, it } from "vitest";
import { MEDIA_LIMITS } from "../../core/protocol";
import { concat } from "./test-samples";
import { openUpload, peek } from "./upload";

/** A request whose body counts how many chunks were pulled from it. */
function counted(contentType: string | null, length: number | null, chunks: Uint8Array[] = [new Uint8Array([1, 2, 3])]) {
  const pulls = { n: 0 };
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctl) {
      pulls.n++;
      if (i < chunks.length) ctl.enqueue(chunks[i++]!);
      else ctl.close();
    },
  });
  const headers = new Headers();
  if (contentType) headers.set("Content-Type", contentType);
  if (length !== null) headers.set("Content-Length", String(length));
  return { req: new Request("http://unibox.test/api/media", { method: "POST", body, headers, duplex: "half" } as RequestInit), pulls };
}

async function* from(...chunks: number[][]) {
  for (const c of chunks) yield new Uint8Array(c);
}

describe("openUpload", () => {
  it("refuses a Content-Length over the declared kind's limit without reading the body", async () => {
    for (const [type, limit, kind] of [
      ["image/jpeg", MEDIA_LIMITS.image, "image"],
      ["audio/webm", MEDIA_LIMITS.audio, "audio"],
      ["video/mp4", MEDIA_LIMITS.video, "video"],
    ] as const) {
      const { req, pulls } = counted(type, limit + 1);
      const err = await openUpload(req).catch((e) => e);
      expect([err.status, err.code, err.details], type).toEqual([413, "media_too_large", { limit }]);
      expect(err.message).toBe(`${kind} uploads are limited to ${limit / 1048576} MB`);
      // The runtime may buffer a first chunk on its own; we never asked for more.
      expect(pulls.n, type).toBeLessThanOrEqual(1);
    }
    const untyped = await openUpload(counted(null, MEDIA_LIMITS.video + 1).req).catch((e) => e);
    expect([untyped.status, untyped.message]).toEqual([413, "an upload is limited to 50 MB"]);
    const multipart = await openUpload(counted("multipart/form-data; boundary=b", MEDIA_LIMITS.video + 1024 * 1024).req).catch((e) => e);
    expect(multipart.status).toBe(413);
  });

  it("takes a Content-Length at the limit, and hands back the declared type and length", async () => {
    const up = await openUpload(counted("image/png", MEDIA_LIMITS.image).req);
    expect([up.declared, up.length]).toEqual(["image/png", MEDIA_LIMITS.image]);
  });

  it("refuses an empty body and a multipart type that is not form-data with a boundary", async () => {
    const empty = await openUpload(new Request("http://unibox.test/", { method: "POST", headers: { "Content-Type": "image/png" } })).catch((e) => e);
    expect([empty.status, empty.code, empty.message]).toEqual([400, "invalid_input", "the upload is empty"]);
    for (const type of ["multipart/form-data", "multipart/mixed; boundary=x"]) {
      const err = await openUpload(counted(type, 3).req).catch((e) => e);
      expect([err.status, err.code], type).toEqual([400, "invalid_input"]);
    }
  });

  it("reads the file part's own type from a multipart body", async () => {
    const form = new FormData();
    form.append("file", new File([new Uint8Array([9, 8, 7])], "x.jpg", { type: "image/jpeg" }));
    const up = await openUpload(new Request("http://unibox.test/", { method: "POST", body: form }));
    expect([up.declared, up.length]).toEqual(["image/jpeg", null]);
    const bytes: number[] = [];
    for await (const c of up.chunks) bytes.push(...c);
    expect(bytes).toEqual([9, 8, 7]);
  });
});

describe("peek", () => {
  it("reads at least n bytes and replays them before the rest, in order", async () => {
    const { head, all } = await peek(from([1, 2], [3], [4, 5, 6], [7]), 4);
    expect([...head]).toEqual([1, 2, 3, 4, 5, 6]);
    const seen: Uint8Array[] = [];
    for await (const c of all) seen.push(c);
    expect([...concat(...seen)]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("copes with an upload shorter than n, and an empty one", async () => {
    const short = await peek(from([1, 2]), 4096);
    expect([...short.head]).toEqual([1, 2]);
    const rest: number[] = [];
    for await (const c of short.all) rest.push(...c);
    expect(rest).toEqual([1, 2]);
    expect((await peek(from(), 10)).head.length).toBe(0);
  });
});
