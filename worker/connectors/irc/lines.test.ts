// The line grammar, splitting at the 512-byte limit, case mapping and flood control.
import { describe, expect, it } from "vitest";
import { TokenBucket } from "./bucket";
import { caseMapping, fold } from "./casemap";
import { byteLength, decodeLine, formatLine, parseLine, splitText, stripFormatting } from "./lines";

describe("IRC lines", () => {
  it("parses prefix, command, middle and trailing parameters, and IRCv3 tags", () => {
    expect(parseLine(":alice!a@host PRIVMSG #unibox :hi there :)\r\n")).toEqual({ tags: {}, prefix: "alice!a@host", command: "PRIVMSG", params: ["#unibox", "hi there :)"] });
    expect(parseLine("PING irc.test.local")).toMatchObject({ prefix: "", command: "PING", params: ["irc.test.local"] });
    expect(parseLine(":s 005 me CHANTYPES=# NICKLEN=30 :are supported")!.params).toEqual(["me", "CHANTYPES=#", "NICKLEN=30", "are supported"]);
    expect(parseLine(":s 001 me :")!.params).toEqual(["me", ""]);
    const tagged = parseLine("@time=2026-01-02T03:04:05.678Z;msgid=abc\\s1;+draft/x :bob!b@h privmsg alice :yo")!;
    expect(tagged).toMatchObject({ command: "PRIVMSG", tags: { time: "2026-01-02T03:04:05.678Z", msgid: "abc 1", "+draft/x": "" } });
    expect(parseLine("")).toBeNull();
    expect(parseLine(":onlyprefix")).toBeNull();
  });

  it("formats lines, making the last parameter trailing only when it must be", () => {
    expect(formatLine("NICK", "bob")).toBe("NICK bob");
    expect(formatLine("PRIVMSG", "#c", "two words")).toBe("PRIVMSG #c :two words");
    expect(formatLine("PRIVMSG", "#c", ":)")).toBe("PRIVMSG #c ::)");
    expect(formatLine("USER", "bob", "0", "*", "Bob")).toBe("USER bob 0 * Bob");
    expect(() => formatLine("PRIVMSG", "#c", "line\r\nQUIT")).toThrow(/CR, LF/);
    expect(() => formatLine("PRIVMSG", "a b", "x")).toThrow(/middle/);
  });

  it("splits text to fit a byte budget, at spaces, never inside a character, one IRC line per text line", () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    const pieces = splitText(words, 100);
    expect(pieces.every((p) => byteLength(p) <= 100)).toBe(true);
    expect(pieces.join(" ")).toBe(words);
    expect(pieces[0]!.endsWith(" ")).toBe(false);
    const cjk = "汉字".repeat(100); // 3 bytes each
    const cut = splitText(cjk, 100);
    expect(cut.every((p) => byteLength(p) <= 100)).toBe(true);
    expect(cut.join("")).toBe(cjk);
    expect(splitText("😀".repeat(30), 10).every((p) => p === "😀😀")).toBe(true);
    expect(splitText("one\ntwo\r\n\nthree", 100)).toEqual(["one", "two", "three"]);
  });

  it("strips mIRC formatting and reads Latin-1 where a line is not UTF-8", () => {
    expect(stripFormatting("\x02bold\x02 \x0304,12red\x03 \x1ditalic\x0f")).toBe("bold red italic");
    expect(decodeLine(new TextEncoder().encode("héllo"))).toBe("héllo");
    expect(decodeLine(Uint8Array.from([0x68, 0xe9, 0x6c]))).toBe("hél");
  });
});

describe("case mapping", () => {
  it("folds by the server's CASEMAPPING, rfc1459 by default", () => {
    expect(fold("Bob[away]~", caseMapping(undefined))).toBe("bob{away}^");
    expect(fold("Bob[away]~", caseMapping("strict-rfc1459"))).toBe("bob{away}~");
    expect(fold("Bob[away]~", caseMapping("ascii"))).toBe("bob[away]~");
    expect(fold("#Unibox", caseMapping("rfc1459"))).toBe("#unibox");
  });
});

describe("TokenBucket", () => {
  it("lets a burst through at once, then one line per interval, in order", async () => {
    let now = 0;
    const bucket = new TokenBucket(3, 50, () => now);
    const order: number[] = [];
    const takes = Array.from({ length: 5 }, (_, i) => bucket.take().then(() => order.push(i)));
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([0, 1, 2]);
    now = 50;
    await new Promise((r) => setTimeout(r, 80));
    expect(order).toEqual([0, 1, 2, 3]);
    now = 100;
    await Promise.all(takes);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("releases everyone waiting when the connection ends", async () => {
    const bucket = new TokenBucket(1, 60_000);
    await bucket.take();
    const waiting = bucket.take();
    bucket.release();
    await expect(waiting).resolves.toBeUndefined();
  });
});
