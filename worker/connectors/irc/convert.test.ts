// Lines from people into the common shape: channels and private chats by folded name,
// operator-only (STATUSMSG) targets, CTCP, our own lines, server notices left out.
import { describe, expect, it } from "vitest";
import { type ChatContext, outboundText, readPrivmsg, toMessage } from "./convert";
import { parseLine } from "./lines";

const ctx: ChatContext = { nick: "Uma", mapping: "rfc1459", chantypes: "#&", statusmsg: "@+" };
const read = (line: string) => readPrivmsg(parseLine(line)!, ctx);

describe("readPrivmsg", () => {
  it("puts a channel line in the channel and a private line in the chat with the sender", () => {
    expect(read(":Vic[1]!v@h PRIVMSG #Chan :hi")).toMatchObject({ chat: { id: "#chan", kind: "group", title: "#Chan" }, from: "Vic[1]", fromMe: false, text: "hi" });
    expect(read(":Vic[1]!v@h PRIVMSG uma :psst")).toMatchObject({ chat: { id: "vic{1}", kind: "direct", title: "Vic[1]" } });
    expect(read(":Vic!v@h PRIVMSG @#chan :ops only")!.chat.id).toBe("#chan");
  });

  it("knows our own lines (echo-message, another client) and files a private one under its target", () => {
    expect(read(":uma!u@h PRIVMSG Vic :to vic")).toMatchObject({ fromMe: true, chat: { id: "vic", kind: "direct" } });
  });

  it("reads CTCP, leaves server notices out, and strips formatting", () => {
    expect(read(":Vic!v@h PRIVMSG #chan :\x01ACTION waves\x01")).toMatchObject({ ctcp: { command: "ACTION", args: "waves" }, text: "waves" });
    expect(read(":Vic!v@h PRIVMSG Uma :\x01VERSION\x01")!.ctcp).toEqual({ command: "VERSION", args: "" });
    expect(read(":irc.example.net NOTICE Uma :*** Your host is hidden")).toBeNull();
    expect(read(":Vic!v@h NOTICE Uma :\x02bold\x02 news")).toMatchObject({ text: "bold news", notice: true });
  });

  it("makes a message with the server's msgid and time where tagged, else an id of its own", () => {
    const tagged = toMessage(read("@msgid=abc;time=2030-01-01T00:00:00.000Z :Vic!v@h PRIVMSG #chan :x")!, ctx);
    expect(tagged).toMatchObject({ remoteId: "m:abc", at: Date.parse("2030-01-01T00:00:00.000Z"), sender: { id: "vic", name: "Vic" } });
    const a = toMessage(read(":Vic!v@h PRIVMSG #chan :x")!, ctx);
    const b = toMessage(read(":Vic!v@h PRIVMSG #chan :x")!, ctx);
    expect(a.type === "message" && b.type === "message" && a.remoteId !== b.remoteId).toBe(true);
    expect(toMessage(read(":Vic!v@h PRIVMSG #chan :\x01ACTION waves\x01")!, ctx)).toMatchObject({ body: { type: "text", text: "* Vic waves" } });
  });

  it("sends a location as a map link, and no media", () => {
    expect(outboundText({ type: "location", lat: 1.5, lng: 2 })).toBe("https://www.openstreetmap.org/?mlat=1.5&mlon=2#map=16/1.5/2");
    expect(outboundText({ type: "image", media: "md_1" })).toBeNull();
  });
});
