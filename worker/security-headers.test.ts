// API responses (JSON and media bytes) can never be run, framed or sniffed as a document.
import { describe, expect, it } from "vitest";
import { api, register } from "./test/helpers";
import { png1x1 } from "./media/test-samples";
import { exports } from "cloudflare:workers";

const expected = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

const pick = (h: Headers) => Object.fromEntries(Object.keys(expected).map((k) => [k, h.get(k)]));

describe("API response headers", () => {
  it("are on answers, errors and media alike", async () => {
    const a = await register("headers");
    expect(pick((await api("/api/me", { token: a.token })).headers)).toEqual(expected);
    expect(pick((await api("/api/me")).headers)).toEqual(expected);
    expect(pick((await api("/api/nope")).headers)).toEqual(expected);
    const up = await api("/api/media", { method: "POST", token: a.token, body: await png1x1(), headers: { "Content-Type": "image/png" } });
    const media = await exports.default.fetch(`http://unibox.test/api/media/${up.data.media.id}`, { headers: { Authorization: `Bearer ${a.token}` } });
    expect(pick(media.headers)).toEqual(expected);
    await media.arrayBuffer();
  });
});
