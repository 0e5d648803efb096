// The IRC connector: a small client on io.connect (irc-framework does not bundle for
// workerd). Registration with PASS, CAP and SASL PLAIN where offered, a new nick on a
// collision, the account's channels joined, channel and private messages both ways, flood
// control and 512-byte splitting on send, QUIT on close.
import { z } from "zod";
import { type Connector, type LinkIO, RemoteError, type Verified } from "../types";
import { type ConnectionOptions, IrcConnection } from "./connection";
import { IrcSession } from "./session";

/** RFC 2812 §2.3.1 nicks (letters, digits, []\`_^{|}-, not starting with a digit or -), 30 at most. */
const nick = z.string().trim().regex(/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/, "a nick: letters, digits and []\\`_^{|}-");
/** A word IRC can carry as one parameter: no spaces, no CR, LF or NUL. */
const word = z.string().min(1).max(256).regex(/^[^\s\0]+$/, "no spaces");

export const ircCredentials = z.strictObject({
  host: z.string().trim().toLowerCase().min(1).max(253).regex(/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[?[0-9a-f:.]+\]?$/, "a host name"),
  port: z.number().int().min(1).max(65535),
  tls: z.boolean(),
  nick,
  /** The server password (PASS), for networks or bouncers that want one. */
  password: word.optional(),
  /** Channels to join: "#name", or "#name key" for a channel with a key. */
  channels: z.array(z.string().trim().regex(/^[#&+!][^\s,\x07\0]{1,49}( [^\s,\0]{1,64})?$/, "a channel like #unibox")).max(50).optional(),
  /** A services account (SASL PLAIN), where the network offers SASL. */
  sasl: z.strictObject({ user: word, password: z.string().min(1).max(512).regex(/^[^\0]+$/) }).optional(),
});
export type IrcCredentials = z.infer<typeof ircCredentials>;

const DEFAULT_PING_SECONDS = 90;
/** Five lines at once, then one every two seconds: inside what common networks (Libera, OFTC) allow. */
const DEFAULT_FLOOD = { burst: 5, everyMs: 2000 };

function options(c: IrcCredentials, io: LinkIO): ConnectionOptions {
  const ping = Number(io.config("IRC_PING_SECONDS"));
  const [burst, everyMs] = (io.config("IRC_FLOOD") ?? "").split("/").map(Number);
  return {
    host: c.host,
    port: c.port,
    tls: c.tls,
    nick: c.nick,
    username: c.nick.replace(/[^A-Za-z0-9]/g, "").slice(0, 10) || "unibox",
    realname: "Unibox",
    password: c.password,
    sasl: c.sasl,
    pingMs: (Number.isFinite(ping) && ping > 0 ? ping : DEFAULT_PING_SECONDS) * 1000,
    flood: burst! > 0 && everyMs! > 0 ? { burst: burst!, everyMs: everyMs! } : DEFAULT_FLOOD,
  };
}

const channelsOf = (c: IrcCredentials) => (c.channels ?? []).map((s) => ({ name: s.split(" ")[0]!, key: s.split(" ")[1] }));

export const irc = {
  network: "irc",
  credentials: ircCredentials,

  async verify(c, io): Promise<Verified> {
    try {
      const { conn } = await IrcConnection.open(io, options(c, io));
      await conn.close("Unibox: checking the account");
      return { ok: true, remote: { id: c.nick, name: `${c.nick} on ${c.host}` } };
    } catch (e) {
      io.log("irc.verify_failed", { kind: e instanceof RemoteError ? e.kind : "error" });
      return { ok: false, code: e instanceof RemoteError && e.kind === "auth" ? "bad_credentials" : "unreachable", message: (e as Error).message };
    }
  },

  async connect(c, io, cursor, on) {
    on.state({ state: "connecting", message: `connecting to ${c.host}` });
    const { conn, welcome } = await IrcConnection.open(io, options(c, io));
    if (welcome.saslUnavailable) io.log("irc.sasl_unavailable", {});
    const session = new IrcSession(conn, welcome, channelsOf(c), io, on);
    try {
      await session.start(cursor);
    } catch (e) {
      await conn.close();
      throw e instanceof RemoteError ? e : new RemoteError("transient", (e as Error).message);
    }
    const notes = [
      ...(welcome.nick.toLowerCase() !== c.nick.toLowerCase() ? [`${c.nick} is taken`] : []),
      ...(welcome.saslUnavailable ? ["this network offers no SASL, so you are not logged in to its services"] : []),
    ];
    on.state({ state: "connected", message: `connected as ${welcome.nick}${notes.length ? ` (${notes.join("; ")})` : ""}` });
    return session;
  },
} satisfies Connector<IrcCredentials>;
