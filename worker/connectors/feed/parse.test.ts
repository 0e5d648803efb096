// The feed parser inside workerd (project "workers"), where the connector runs: feedsmith
// and fast-xml-parser need no Node built-ins. The feed server's builders make the documents.
import { describe, expect, it } from "vitest";
import { atom, jsonFeed, rss } from "../../../test/support/feed-server";
import { parse } from "./parse";

const meta = { title: "Example & Co", link: "https://example.com/" };
const items = [{ id: "urn:post:1", link: "https://example.com/1", title: "First <b>", content: "<p>one &amp; two</p>", date: "2026-11-01T10:00:00Z" }];

describe("parse in workerd", () => {
  it.each([
    ["rss", rss],
    ["atom", atom],
    ["json", jsonFeed],
  ] as const)("reads %s", (_, build) => {
    expect(parse(build(meta, items))).toEqual({
      title: "Example & Co",
      entries: [{ id: "urn:post:1", title: "First <b>", html: "<p>one &amp; two</p>", url: "https://example.com/1", at: Date.parse("2026-11-01T10:00:00Z"), author: undefined }],
    });
  });

  it("keys an RSS item without a guid by its link", () => {
    const doc = rss(meta, items).replace(/<guid[^<]*<\/guid>/, "");
    expect(parse(doc).entries[0]!.id).toBe("https://example.com/1");
  });
});
