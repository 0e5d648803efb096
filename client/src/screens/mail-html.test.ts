// The mail HTML preparer: nothing active survives, remote images and CSS backgrounds are
// taken out (and counted) until allowed, cid: pictures point at the mail's own attachments,
// and the frame's policy blocks every remote load while they are not allowed.
import { describe, expect, it } from "vitest";
import { prepareHtml } from "./mail-html";

const origin = "https://unibox.test";
const cid = (c: string) => (c === "dot@x" ? "/api/media/md_dot" : undefined);
const bodyOf = (doc: string) => new DOMParser().parseFromString(doc, "text/html");
const cspOf = (doc: string) => bodyOf(doc).querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute("content")!;

describe("prepareHtml", () => {
  it("removes scripts, handlers, forms and javascript: links", () => {
    const { doc } = prepareHtml('<p onclick="steal()">hi</p><script>steal()</script><form action="https://evil.example"><input name="pw"></form><a href="javascript:steal()">x</a><a href="https://ok.example/">ok</a>', { allowRemote: false, cid, origin });
    const d = bodyOf(doc);
    expect(d.querySelector("script")).toBeNull();
    expect(d.querySelector("form, input")).toBeNull();
    expect(d.querySelector("p")!.getAttribute("onclick")).toBeNull();
    const links = [...d.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([null, "https://ok.example/"]);
    expect(links[1]!.getAttribute("rel")).toBe("noopener noreferrer");
    expect(links[1]!.getAttribute("target")).toBe("_blank");
  });

  it("blocks remote images, srcset and CSS backgrounds until allowed, and maps cid: to the attachment", () => {
    const html = '<img src="https://tracker.example/p.gif"><img srcset="https://cdn.example/a.png 2x"><img src="cid:dot@x"><img src="cid:unknown@x"><div style="background:url(https://t.example/bg.png)">x</div><style>body{background:url(//t.example/b.png)}</style>';
    const blocked = prepareHtml(html, { allowRemote: false, cid, origin });
    expect(blocked.blocked).toBe(4);
    const d = bodyOf(blocked.doc);
    expect(d.body.innerHTML).not.toMatch(/tracker\.example|cdn\.example|t\.example/);
    const imgs = [...d.querySelectorAll("img")];
    expect(imgs.map((i) => i.getAttribute("src"))).toEqual([null, null, "/api/media/md_dot", null]);
    expect(cspOf(blocked.doc)).toBe(`default-src 'none'; img-src ${origin}/api/media/ data:; media-src ${origin}/api/media/ data:; style-src 'unsafe-inline'; font-src data:`);

    const allowed = prepareHtml(html, { allowRemote: true, cid, origin });
    expect(allowed.blocked).toBe(0);
    expect(bodyOf(allowed.doc).querySelector("img")!.getAttribute("src")).toBe("https://tracker.example/p.gif");
    expect(cspOf(allowed.doc)).toContain("img-src https://unibox.test/api/media/ data: https: http:");
  });
});
