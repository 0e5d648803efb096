// The frame parser and builder: namespaces, escaping both ways, and what RFC 6120 §11.1 refuses.
import { describe, expect, it } from "vitest";
import { child, parseXml, textOf, x } from "./xml";

describe("parseXml", () => {
  it("resolves default namespaces and prefixes, and keeps text and attributes decoded", () => {
    const el = parseXml(
      `<stream:features xmlns:stream="http://etherx.jabber.org/streams"><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>SCRAM-SHA-1</mechanism></mechanisms><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
    );
    expect(el).toMatchObject({ name: "features", ns: "http://etherx.jabber.org/streams" });
    const mechs = child(el, "mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl");
    expect(textOf(child(mechs, "mechanism"))).toBe("SCRAM-SHA-1");
    // The unprefixed child of a prefixed element is in the inherited default namespace.
    expect(child(el, "bind")?.ns).toBe("urn:ietf:params:xml:ns:xmpp-bind");
    const msg = parseXml(`<message xmlns="jabber:client" to="a&amp;b@x" id='q&quot;1'><body>1 &lt; 2 &#x1F600; &#65;<![CDATA[<raw>&]]></body></message>`);
    expect(msg.attrs).toMatchObject({ to: "a&b@x", id: 'q"1' });
    expect(textOf(child(msg, "body", "jabber:client"))).toBe("1 < 2 😀 A<raw>&");
  });

  it("accepts an XML declaration and surrounding space", () => {
    expect(parseXml(`<?xml version='1.0'?>\n <open xmlns="urn:ietf:params:xml:ns:xmpp-framing" version="1.0"/> `).name).toBe("open");
  });

  it.each([
    ["a comment", "<a><!-- hi --></a>"],
    ["a DTD", `<!DOCTYPE a [<!ENTITY x "y">]><a/>`],
    ["a processing instruction", "<a><?php ?></a>"],
    ["an unknown entity", "<a>&x;</a>"],
    ["a bare ampersand", "<a>fish & chips</a>"],
    ["a forbidden character reference", "<a>&#0;</a>"],
    ["mismatched tags", "<a><b></a></b>"],
    ["an unclosed element", "<a><b/>"],
    ["two roots", "<a/><b/>"],
    ["an unknown prefix", "<x:a/>"],
    ["a duplicate attribute", `<a b="1" b="2"/>`],
    ["an unquoted attribute", "<a b=1/>"],
  ])("refuses %s", (_what, text) => {
    expect(() => parseXml(text)).toThrow();
  });

  it("refuses elements nested past its depth limit", () => {
    expect(() => parseXml("<a>".repeat(100) + "</a>".repeat(100))).toThrow(/deep/);
  });
});

describe("x", () => {
  it("escapes text and attributes, leaves out undefined attributes, and round-trips", () => {
    const out = x("message", { to: `o'neil@x`, id: undefined, type: "chat" }, x("body", {}, `<b>&"hi"</b>`), undefined, false).toString();
    expect(out).toBe(`<message to="o&apos;neil@x" type="chat"><body>&lt;b&gt;&amp;&quot;hi&quot;&lt;/b&gt;</body></message>`);
    expect(textOf(child(parseXml(out), "body"))).toBe(`<b>&"hi"</b>`);
  });

  it("drops characters XML cannot carry instead of breaking the stream", () => {
    expect(x("body", {}, "a\u0000b\u0007c\uD800d").toString()).toBe("<body>abcd</body>");
  });
});
