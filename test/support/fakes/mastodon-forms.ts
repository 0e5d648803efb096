// Request parameters the way Rails reads them for Mastodon: from the query string, a
// urlencoded or multipart form, or a JSON body; `name[]` keys collect into arrays.
import type { IncomingMessage } from "node:http";

export type Params = Record<string, string | string[]>;
export type Upload = { filename: string; type: string; data: Buffer };
export type Parsed = { params: Params; files: Record<string, Upload> };

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function parseRequest(url: URL, contentType: string | undefined, body: Buffer): Parsed {
  const params: Params = {};
  for (const [k, v] of url.searchParams) put(params, k, v);
  const files: Record<string, Upload> = {};
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) put(params, k, v);
  } else if (type === "application/json" && body.length > 0) {
    const json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    for (const [k, v] of Object.entries(json)) {
      if (Array.isArray(v)) params[k] = v.map(String);
      else if (v !== null && v !== undefined) params[k] = String(v);
    }
  } else if (type === "multipart/form-data") {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? "")?.[1];
    if (boundary) parseMultipart(body, boundary, params, files);
  }
  return { params, files };
}

function put(params: Params, key: string, value: string): void {
  if (key.endsWith("[]")) {
    const name = key.slice(0, -2);
    const have = params[name];
    params[name] = Array.isArray(have) ? [...have, value] : [value];
  } else {
    params[key] = value;
  }
}

/** RFC 7578 multipart/form-data: parts split on the boundary, each with its own headers. */
function parseMultipart(body: Buffer, boundary: string, params: Params, files: Record<string, Upload>): void {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
    const split = part.indexOf("\r\n\r\n");
    const head = part.subarray(0, split).toString("utf8");
    const data = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? "";
    if (name !== undefined) {
      if (filename !== undefined) files[name] = { filename, type, data: Buffer.from(data) };
      else put(params, name, data.toString("utf8"));
    }
    at = next;
  }
}

export const one = (p: Params, key: string): string | undefined => {
  const v = p[key];
  return Array.isArray(v) ? v[0] : v;
};
export const many = (p: Params, key: string): string[] => {
  const v = p[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
