import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { boundaryOf, openFilePart } from "./multipart";
import { concat } from "./test-samples";

/** A real multipart/form-data body, as the runtime's own FormData encoder writes it. */
async function encode(form: FormData): Promise<{ bytes: Uint8Array; contentType: string }> {
  const req = new Request("http://unibox.test/", { method: "POST", body: form });
  return { bytes: new Uint8Array(await req.arrayBuffer()), contentType: req.headers.get("Content-Type")! };
}

async function* chunked(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return concat(...parts);
}

const fileBytes = new Uint8Array(5000).map((_, i) => (i * 7) % 256);

describe("boundaryOf", () => {
  it("reads plain and quoted boundaries of multipart/form-data only", () => {
    expect(boundaryOf("multipart/form-data; boundary=----WebKitFormBoundaryX1")).toBe("----WebKitFormBoundaryX1");
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe("a b:c");
    expect(boundaryOf("multipart/form-data")).toBeNull();
    expect(boundaryOf("multipart/mixed; boundary=x")).toBeNull();
    expect(boundaryOf("image/png")).toBeNull();
    expect(boundaryOf(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeNull();
  });
});

describe("openFilePart", () => {
  it("streams the file field's bytes and type, whatever the chunking (the delimiter may straddle reads)", async () => {
    const form = new FormData();
    form.append("file", new File([fileBytes], "clip.webm", { type: "audio/webm;codecs=opus" }));
    const { bytes, contentType } = await encode(form);
    for (const size of [1, 7, 64, 4096, bytes.length]) {
      const part = await openFilePart(chunked(bytes, size), boundaryOf(contentType)!);
      expect(part.contentType, `chunks of ${size}`).toBe("audio/webm;codecs=opus");
      expect(await collect(part.chunks), `chunks of ${size}`).toEqual(fileBytes);
    }
  });

  it("skips small fields before the file and never reads past the file's end", async () => {
    const form = new FormData();
    form.append("caption", "a hike");
    form.append("file", new File([fileBytes], "a.bin"));
    form.append("after", "x".repeat(100_000));
    const { bytes, contentType } = await encode(form);
    let read = 0;
    async function* counting() {
      for await (const c of chunked(bytes, 512)) {
        read += c.length;
        yield c;
      }
    }
    const part = await openFilePart(counting(), boundaryOf(contentType)!);
    expect(await collect(part.chunks)).toEqual(fileBytes);
    expect(read).toBeLessThan(bytes.length - 90_000);
  });

  it("gives a file part with no Content-Type a null type", async () => {
    const b = "XyZ";
    const body = new TextEncoder().encode(`--${b}\r\nContent-Disposition: form-data; name=file\r\n\r\nhello\r\n--${b}--\r\n`);
    const part = await openFilePart(chunked(body, 3), b);
    expect(part.contentType).toBeNull();
    expect(new TextDecoder().decode(await collect(part.chunks))).toBe("hello");
  });

  it("refuses bodies without a file field, with oversized other fields, or cut off, with 400 invalid_input", async () => {
    const b = "XyZ";
    const enc = (s: string) => new TextEncoder().encode(s);
    const cases: [string, Uint8Array, string][] = [
      ["no file field", enc(`--${b}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nhi\r\n--${b}--\r\n`), "no `file` field"],
      ["big other field", enc(`--${b}\r\nContent-Disposition: form-data; name="x"\r\n\r\n${"y".repeat(70_000)}\r\n--${b}--\r\n`), "one `file` field"],
      ["no boundary at the start", enc("hello there".repeat(200)), "does not start with its boundary"],
      ["headers never end", enc(`--${b}\r\nContent-Disposition: form-data; name="file"\r\n`), "headers"],
      ["garbage after boundary", enc(`--${b}XX`), "line break"],
    ];
    for (const [name, body, message] of cases) {
      const err = await openFilePart(chunked(body, 1000), b).catch((e) => e);
      expect(err, name).toBeInstanceOf(ApiError);
      expect([err.status, err.code], name).toEqual([400, "invalid_input"]);
      expect(err.message, name).toContain(message);
    }
    const cut = enc(`--${b}\r\nContent-Disposition: form-data; name="file"\r\n\r\n${"z".repeat(300)}`);
    const part = await openFilePart(chunked(cut, 100), b);
    const err = await collect(part.chunks).catch((e) => e);
    expect([err.status, err.code, err.message]).toEqual([400, "invalid_input", "the multipart body is malformed: it ended in the middle of the file"]);
  });
});
