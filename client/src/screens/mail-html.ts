// A mail's HTML made safe to show: DOMPurify (a maintained sanitiser) removes scripts,
// handlers, forms and anything active; remote images are taken out until the user allows
// them (a remote image tells the sender you read the mail, and when, and from where);
// cid: pictures point at the mail's own attachments. The result goes into a sandboxed
// iframe (no scripts, its own styles) whose Content-Security-Policy is the second lock:
// with remote images blocked it loads nothing that is not ours, whatever was missed here.
import DOMPurify from "dompurify";

export type PreparedHtml = { doc: string; blocked: number };

type Options = {
  allowRemote: boolean;
  /** The URL of an inline picture by its Content-ID (without <>), if the mail has it. */
  cid: (contentId: string) => string | undefined;
  origin: string;
};

const REMOTE = /^\s*(https?:)?\/\//i;
const URL_ATTRS = ["src", "srcset", "poster", "background"];

export function prepareHtml(html: string, opts: Options): PreparedHtml {
  const purify = DOMPurify(window);
  let blocked = 0;
  purify.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    for (const attr of URL_ATTRS) {
      const value = el.getAttribute?.(attr);
      if (value === null || value === undefined) continue;
      const cid = /^\s*cid:(.+)$/i.exec(value);
      if (cid) {
        const url = opts.cid(cid[1]!.trim().replace(/^<|>$/g, ""));
        if (url) el.setAttribute(attr, url);
        else el.removeAttribute(attr);
      } else if (REMOTE.test(value) && !opts.allowRemote) {
        el.removeAttribute(attr);
        el.setAttribute(`data-blocked-${attr}`, "");
        blocked++;
      }
    }
    const style = el.getAttribute?.("style");
    if (style && !opts.allowRemote && /url\(/i.test(style)) {
      el.setAttribute("style", style.replace(/url\([^)]*\)/gi, "none"));
      blocked++;
    }
    if (el.tagName === "A" && el.hasAttribute("href")) {
      el.setAttribute("target", "_blank");
      el.setAttribute("rel", "noopener noreferrer");
    }
  });
  purify.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName !== "style" || opts.allowRemote || !/url\(/i.test(node.textContent ?? "")) return;
    node.textContent = (node.textContent ?? "").replace(/url\([^)]*\)/gi, "none");
    blocked++;
  });
  const body = purify.sanitize(html, { FORBID_TAGS: ["form", "input", "button", "textarea", "select", "option", "base", "meta", "link"], FORBID_ATTR: ["action", "formaction"], WHOLE_DOCUMENT: false });
  return { doc: frameDocument(String(body), opts), blocked };
}

/** The iframe's document: the sanitised body under a policy that allows only what we decided. */
function frameDocument(body: string, opts: Options): string {
  const media = `${opts.origin}/api/media/ data:`;
  const images = opts.allowRemote ? `${media} https: http:` : media;
  const csp = `default-src 'none'; img-src ${images}; media-src ${images}; style-src 'unsafe-inline'; font-src ${opts.allowRemote ? "https: data:" : "data:"}`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="color-scheme" content="light"><style>html,body{margin:0;background:#fff;color:#14161a}body{padding:12px;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}img{max-width:100%;height:auto}table{max-width:100%}a{color:#0b57b8}</style></head><body>${body}</body></html>`;
}
