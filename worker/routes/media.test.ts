import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Bytes, padded } from "../media/test-samples";
import * as sample from "../media/test-samples";
import { MEDIA_LIMITS } from "../../core/protocol";
import { api, befriend, Client, register, type TestUser } from "../test/helpers";

/** POST /api/media with raw bytes (or any body) and a Content-Type. */
const upload = (who: TestUser, body: BodyInit, contentType?: string) =>
  api("/api/media", { method: "POST", token: who.token, body, headers: contentType ? { "Content-Type": contentType } : {} });

/** GET /api/media/:id as the raw response (bytes, not JSON). */
const fetchMedia = (who: TestUser | null, id: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://unibox.test/api/media/${id}`, { headers: { ...headers, ...(who ? { Authorization: `Bearer ${who.token}` } : {}) } });

/** A body the runtime sends chunked, without Content-Length, like a streaming client. */
function streamed(head: Uint8Array, total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= total) return ctl.close();
      const n = Math.min(256 * 1024, total - sent);
      ctl.enqueue(sent === 0 ? padded(head, n) : new Uint8Array(n));
      sent += n;
    },
  });
}

/** What this user has stored: R2 objects under their prefix and D1 rows. */
async function storedBy(who: TestUser) {
  const objects = (await env.MEDIA.list({ prefix: `${who.user.id}/` })).objects.length;
  const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner = ?").bind(who.user.id).first<number>("n");
  return { objects, rows };
}

const utf8 = (text: string) => new Uint8Array(new TextEncoder().encode(text));
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe("POST /api/media: formats", () => {
  it("stores every format we take, as the kind and type its bytes say, and serves it back byte for byte", async () => {
    const a = await register("mfa");
    const cases: [string, Bytes, string, string, string][] = [
      ["PNG", await sample.png1x1(), "image/png", "image", "image/png"],
      ["JPEG", sample.jpeg1x1(), "image/jpeg", "image", "image/jpeg"],
      ["GIF", sample.gif1x1(), "image/gif", "image", "image/gif"],
      ["WebP", sample.webp1x1(), "image/webp", "image", "image/webp"],
      ["HEIC", padded(sample.heicHead(), 600), "image/heic", "image", "image/heic"],
      ["WebM voice", padded(sample.webmHead(), 900), "audio/webm;codecs=opus", "audio", "audio/webm"],
      ["WebM video", padded(sample.webmHead(), 900), "video/webm", "video", "video/webm"],
      ["Ogg Opus", padded(sample.oggOpusHead(), 700), "audio/ogg", "audio", "audio/ogg"],
      ["MP4 voice (Safari)", padded(sample.mp4Head(), 800), "audio/mp4", "audio", "audio/mp4"],
      ["MP4 video", padded(sample.mp4Head(), 800), "video/mp4", "video", "video/mp4"],
      ["M4A", padded(sample.m4aHead(), 800), "audio/x-m4a", "audio", "audio/mp4"],
      ["MP3", sample.mp3FrameHead(), "audio/mpeg", "audio", "audio/mpeg"],
      ["MP3 with ID3", padded(sample.id3Head(), 500), "audio/mpeg", "audio", "audio/mpeg"],
      // A picture with the wrong picture label, and one with no label: the bytes decide.
      ["PNG labelled JPEG", await sample.png1x1(), "image/jpeg", "image", "image/png"],
      ["JPEG unlabelled", sample.jpeg1x1(), "application/octet-stream", "image", "image/jpeg"],
    ];
    for (const [name, bytes, declared, type, mime] of cases) {
      const res = await upload(a, bytes, declared);
      expect(res.status, `${name}: ${JSON.stringify(res.data)}`).toBe(201);
      expect(res.data.media, name).toEqual({ id: expect.stringMatching(/^md_/), type, mime, size: bytes.length });
      const got = await fetchMedia(a, res.data.media.id);
      expect([got.status, got.headers.get("Content-Type")], name).toEqual([200, mime]);
      expect(await bytesOf(got), name).toEqual(bytes);
    }
    expect(await storedBy(a)).toEqual({ objects: cases.length, rows: cases.length });
  });

  it("takes a multipart/form-data upload with one file field, using the part's own type", async () => {
    const a = await register("mfm");
    const clip = padded(sample.webmHead(), 20_000);
    const form = new FormData();
    form.append("caption", "listen");
    form.append("file", new File([clip], "voice.webm", { type: "audio/webm;codecs=opus" }));
    const res = await api("/api/media", { method: "POST", token: a.token, body: form });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    expect(res.data.media).toMatchObject({ type: "audio", mime: "audio/webm", size: clip.length });
    expect(await bytesOf(await fetchMedia(a, res.data.media.id))).toEqual(clip);
  });

  it("streams an upload larger than one R2 part without Content-Length", async () => {
    const a = await register("mfs");
    const total = 12 * 1024 * 1024 + 333;
    const res = await upload(a, streamed(sample.webmHead(), total), "video/webm");
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    expect(res.data.media).toMatchObject({ type: "video", size: total });
    const got = await fetchMedia(a, res.data.media.id, { Range: "bytes=-4" });
    expect([got.status, got.headers.get("Content-Range")]).toEqual([206, `bytes ${total - 4}-${total - 1}/${total}`]);
    expect([...(await bytesOf(got))]).toEqual([0, 0, 0, 0]);
  });
});

describe("POST /api/media: refusals store nothing", () => {
  it("415 unsupported_media_type for bytes we do not take", async () => {
    const a = await register("mfu");
    const cases: [Bytes, string | undefined][] = [
      [utf8('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "image/svg+xml"],
      [utf8("<!doctype html><p>hi"), "image/png"],
      [utf8('{"a":1}'), "application/json"],
      [sample.ftyp("qt  ", "qt  "), "video/quicktime"],
      [sample.adtsHead(), "audio/aac"],
      [new Uint8Array(100), undefined],
    ];
    for (const [bytes, declared] of cases) {
      const res = await upload(a, bytes, declared);
      expect([res.status, res.data.error.code], declared).toEqual([415, "unsupported_media_type"]);
      expect(res.data.error.message).toContain("we take JPEG, PNG");
    }
    expect(await storedBy(a)).toEqual({ objects: 0, rows: 0 });
  });

  it("415 media_type_mismatch when the bytes contradict the declared type", async () => {
    const a = await register("mfx");
    const cases: [Bytes, string][] = [
      [padded(sample.webmHead(), 500), "image/png"],
      [sample.jpeg1x1(), "audio/mpeg"],
      [await sample.png1x1(), "text/plain"],
    ];
    for (const [bytes, declared] of cases) {
      const res = await upload(a, bytes, declared);
      expect([res.status, res.data.error.code], declared).toEqual([415, "media_type_mismatch"]);
    }
    const form = new FormData();
    form.append("file", new File([sample.gif1x1()], "a.mp4", { type: "video/mp4" }));
    const multi = await api("/api/media", { method: "POST", token: a.token, body: form });
    expect([multi.status, multi.data.error.code]).toEqual([415, "media_type_mismatch"]);
    expect(await storedBy(a)).toEqual({ objects: 0, rows: 0 });
  });

  it("413 media_too_large by Content-Length, for the declared kind or once the bytes show the kind", async () => {
    const a = await register("mfl");
    const overImage = padded(await sample.png1x1(), MEDIA_LIMITS.image + 1);
    const declared = await upload(a, overImage, "image/png");
    expect([declared.status, declared.data.error]).toEqual([413, { code: "media_too_large", message: "image uploads are limited to 10 MB", details: { limit: MEDIA_LIMITS.image } }]);
    // No type declared: the first bytes say image, and the Content-Length is over its limit.
    const sniffed = await upload(a, overImage, "application/octet-stream");
    expect([sniffed.status, sniffed.data.error.code]).toEqual([413, "media_too_large"]);
    // An Ogg labelled video may be up to 50 MB by its label, but it is audio: 20 MB.
    const ogg = await upload(a, padded(sample.oggOpusHead(), MEDIA_LIMITS.audio + 1), "video/ogg");
    expect([ogg.status, ogg.data.error.message]).toEqual([413, "audio uploads are limited to 20 MB"]);
    expect(await storedBy(a)).toEqual({ objects: 0, rows: 0 });
  });

  it("413 media_too_large while streaming without Content-Length, after a part went to R2, and nothing is left", async () => {
    const a = await register("mfo");
    const image = await upload(a, streamed(await sample.png1x1(), MEDIA_LIMITS.image + 1), "image/png");
    expect([image.status, image.data.error.code]).toEqual([413, "media_too_large"]);
    const audio = await upload(a, streamed(sample.webmHead(), MEDIA_LIMITS.audio + 1), "audio/webm");
    expect([audio.status, audio.data.error.message]).toEqual([413, "audio uploads are limited to 20 MB"]);
    // Exactly at the limit is taken.
    const atLimit = await upload(a, streamed(sample.jpeg1x1(), MEDIA_LIMITS.image), "image/jpeg");
    expect([atLimit.status, atLimit.data.media?.size]).toEqual([201, MEDIA_LIMITS.image]);
    expect(await storedBy(a)).toEqual({ objects: 1, rows: 1 });
  });

  it("413 for a multipart body whose file is over its kind's limit", async () => {
    const a = await register("mfp");
    const form = new FormData();
    form.append("file", new File([padded(sample.jpeg1x1(), MEDIA_LIMITS.image + 1)], "big.jpg", { type: "image/jpeg" }));
    const res = await api("/api/media", { method: "POST", token: a.token, body: form });
    expect([res.status, res.data.error.code]).toEqual([413, "media_too_large"]);
    expect(await storedBy(a)).toEqual({ objects: 0, rows: 0 });
  });

  it("400 invalid_input for an empty body or a broken multipart body; 401 without a session", async () => {
    const a = await register("mfe");
    const empty = await upload(a, new Uint8Array(0), "image/png");
    expect([empty.status, empty.data.error.code, empty.data.error.message]).toEqual([400, "invalid_input", "the upload is empty"]);
    const noFile = await upload(a, "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n", "multipart/form-data; boundary=b");
    expect([noFile.status, noFile.data.error.message]).toEqual([400, "the multipart body has no `file` field"]);
    const cut = await upload(a, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\xff\xd8\xff", "multipart/form-data; boundary=b");
    expect([cut.status, cut.data.error.code]).toEqual([400, "invalid_input"]);
    const anon = await api("/api/media", { method: "POST", body: sample.jpeg1x1(), headers: { "Content-Type": "image/jpeg" } });
    expect([anon.status, anon.data.error.code]).toEqual([401, "unauthorized"]);
    expect(await storedBy(a)).toEqual({ objects: 0, rows: 0 });
  });
});

describe("GET /api/media/:id", () => {
  const size = 10_000;
  const clip = () => {
    const bytes = padded(sample.mp4Head(), size);
    for (let i = 100; i < size; i++) bytes[i] = i % 251;
    return bytes;
  };

  it("serves the bytes with the sniffed type, private immutable caching, byte ranges and nosniff", async () => {
    const a = await register("mga");
    const bytes = clip();
    const { data } = await upload(a, bytes, "video/mp4");
    const res = await fetchMedia(a, data.media.id);
    expect(res.status).toBe(200);
    expect(Object.fromEntries(["Content-Type", "Content-Length", "Cache-Control", "Accept-Ranges", "X-Content-Type-Options"].map((h) => [h, res.headers.get(h)]))).toEqual({
      "Content-Type": "video/mp4",
      "Content-Length": String(size),
      "Cache-Control": "private, max-age=31536000, immutable",
      "Accept-Ranges": "bytes",
      "X-Content-Type-Options": "nosniff",
    });
    expect(res.headers.get("ETag")).toBeTruthy();
    expect(await bytesOf(res)).toEqual(bytes);
    // HEAD: the same headers, no body (a player probing the file).
    const head = await exports.default.fetch(`http://unibox.test/api/media/${data.media.id}`, { method: "HEAD", headers: { Authorization: `Bearer ${a.token}` } });
    expect([head.status, head.headers.get("Content-Type"), (await head.arrayBuffer()).byteLength]).toEqual([200, "video/mp4", 0]);
  });

  it("answers Range requests with 206 and Content-Range: first bytes, suffix, open-ended; 416 when unsatisfiable", async () => {
    const a = await register("mgr");
    const bytes = clip();
    const { data } = await upload(a, bytes, "video/mp4");
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=-500", size - 500, size - 1],
      ["bytes=9000-", 9000, size - 1],
      ["bytes=9990-20000", 9990, size - 1],
    ];
    for (const [range, first, last] of cases) {
      const res = await fetchMedia(a, data.media.id, { Range: range });
      expect([res.status, res.headers.get("Content-Range"), res.headers.get("Content-Length")], range).toEqual([206, `bytes ${first}-${last}/${size}`, String(last - first + 1)]);
      expect(res.headers.get("Content-Type")).toBe("video/mp4");
      expect(await bytesOf(res), range).toEqual(bytes.slice(first, last + 1));
    }
    for (const range of ["bytes=10000-", "bytes=-0"]) {
      const res = await fetchMedia(a, data.media.id, { Range: range });
      expect([res.status, res.headers.get("Content-Range")], range).toEqual([416, `bytes */${size}`]);
      expect((await res.json<any>()).error.code).toBe("range_not_satisfiable");
    }
    // Several ranges, or a malformed one, are ignored: the whole file.
    for (const range of ["bytes=0-1,5-6", "bytes=oops"]) {
      const res = await fetchMedia(a, data.media.id, { Range: range });
      expect([res.status, (await bytesOf(res)).length], range).toEqual([200, size]);
    }
  });
});

describe("media authorization (1:1)", () => {
  it("serves the uploader and the friend it was sent to; a stranger and another friend get 404", async () => {
    const [a, b, c, d] = [await register("maa"), await register("mab"), await register("mac"), await register("mad")];
    await befriend(a, b);
    await befriend(a, d);
    const png = await sample.png1x1();
    const { data } = await upload(a, png, "image/png");
    const id = data.media.id;
    const status = async (who: TestUser | null) => (await fetchMedia(who, id)).status;

    // Before it is sent, only the uploader sees it.
    expect(await status(a)).toBe(200);
    expect(await status(b)).toBe(404);

    const alice = await Client.open(a.token, 0);
    alice.send({ t: "send", id: "pic-1", to: { user: b.user.id }, body: { type: "image", media: id, caption: "the view" } });
    await alice.next((f) => f.t === "accepted" && f.id === "pic-1");

    const seen = await fetchMedia(b, id);
    expect([seen.status, seen.headers.get("Content-Type")]).toEqual([200, "image/png"]);
    expect(await bytesOf(seen)).toEqual(png);
    expect(await status(a)).toBe(200);
    for (const who of [c, d]) {
      const res = await fetchMedia(who, id);
      expect(res.status).toBe(404);
      expect((await res.json<any>()).error).toEqual({ code: "media_not_found", message: "no such media, or it is not yours to see" });
    }
    // Unknown ids look the same as forbidden ones; no session is 401.
    const unknown = await fetchMedia(a, "md_nope");
    expect([unknown.status, (await unknown.json<any>()).error.code]).toEqual([404, "media_not_found"]);
    expect(await status(null)).toBe(401);
    alice.close();
  });

  it("refuses to send media that is not yours, or of a kind the body cannot carry, with invalid_media", async () => {
    const [a, b] = [await register("mia"), await register("mib")];
    await befriend(a, b);
    const image = (await upload(a, sample.jpeg1x1(), "image/jpeg")).data.media.id;
    const voice = (await upload(a, padded(sample.webmHead(), 300), "audio/webm")).data.media.id;
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);

    const refused: [Client, string, unknown][] = [
      [bob, "not-mine", { type: "image", media: image }],
      [alice, "unknown", { type: "image", media: "md_nope" }],
      [alice, "image-as-audio", { type: "audio", media: image }],
      [alice, "voice-as-image", { type: "image", media: voice }],
    ];
    for (const [client, id, body] of refused) {
      const to = client === bob ? a.user.id : b.user.id;
      client.send({ t: "send", id, to: { user: to }, body });
      const err = await client.next((f) => f.t === "error" && f.id === id);
      expect(err, id).toMatchObject({ code: "invalid_media" });
    }
    // A refused send grants nothing.
    expect((await fetchMedia(b, image)).status).toBe(404);
    // Fitting kinds go through: a voice clip as audio, a picture as a file.
    for (const [id, body] of [["voice-ok", { type: "audio", media: voice }], ["file-ok", { type: "file", media: image }]] as const) {
      alice.send({ t: "send", id, to: { user: b.user.id }, body });
      await alice.next((f) => f.t === "accepted" && f.id === id);
    }
    // Now a conversation of Bob's carries the picture.
    expect((await fetchMedia(b, image)).status).toBe(200);
    alice.close();
    bob.close();
  });
});
