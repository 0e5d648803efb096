// SASL for the XMPP stream (RFC 6120 §6): which mechanism, and the exchange. SCRAM-SHA-256,
// then SCRAM-SHA-1; PLAIN only when the server offers no SCRAM at all, and then only over
// wss:// or to a loopback host (a local test or development server), never in the clear
// across a network.
import { RemoteError } from "../types";
import { NS } from "./ns";
import { fromBase64, ScramError, scramClient, toBase64 } from "./scram";
import { child, childrenOf, type Element, textOf, x } from "./xml";

export type Mechanism = "SCRAM-SHA-256" | "SCRAM-SHA-1" | "PLAIN";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/i;

export function chooseMechanism(offered: string[], url: URL): Mechanism {
  for (const m of ["SCRAM-SHA-256", "SCRAM-SHA-1"] as const) if (offered.includes(m)) return m;
  if (!offered.includes("PLAIN")) throw new RemoteError("permanent", `the server offers no SASL mechanism Unibox speaks (${offered.join(", ") || "none"})`);
  if (url.protocol === "wss:" || LOOPBACK.test(url.hostname)) return "PLAIN";
  throw new RemoteError("permanent", "the server offers only PLAIN over an unencrypted connection; Unibox will not send the password in the clear");
}

export const offeredMechanisms = (features: Element): string[] => childrenOf(child(features, "mechanisms", NS.sasl), "mechanism").map(textOf);

/** What the exchange needs from the stream: send a nonza, wait for the next one. */
export type SaslWire = { send(xml: string): void; next(): Promise<Element> };

const utf8b64 = (s: string) => toBase64(new TextEncoder().encode(s));
const b64utf8 = (s: string) => new TextDecoder().decode(fromBase64(s.trim()));

/** Authenticates; throws RemoteError("auth") when the server refuses the credentials. */
export async function authenticate(wire: SaslWire, mechanism: Mechanism, user: string, password: string): Promise<void> {
  if (mechanism === "PLAIN") {
    wire.send(x("auth", { xmlns: NS.sasl, mechanism }, utf8b64(`\0${user}\0${password}`)).toString());
    return outcome(await wire.next());
  }
  const scram = scramClient(mechanism === "SCRAM-SHA-256" ? "SHA-256" : "SHA-1", user, password);
  wire.send(x("auth", { xmlns: NS.sasl, mechanism }, utf8b64(scram.first)).toString());
  try {
    const challenge = await wire.next();
    if (challenge.name !== "challenge") return outcome(challenge);
    wire.send(x("response", { xmlns: NS.sasl }, utf8b64(await scram.respond(b64utf8(textOf(challenge))))).toString());
    let end = await wire.next();
    if (end.name === "challenge") {
      // RFC 6120 §6.3.10 allows the server-final-message as one more challenge instead of in <success/>.
      await scram.verify(b64utf8(textOf(end)));
      wire.send(x("response", { xmlns: NS.sasl }).toString());
      end = await wire.next();
      return outcome(end);
    }
    outcome(end);
    await scram.verify(b64utf8(textOf(end)));
  } catch (e) {
    if (e instanceof ScramError) throw new RemoteError("permanent", e.message);
    throw e;
  }
}

/** RFC 6120 §6.5: the conditions that mean these credentials do not work (the others are protocol trouble). */
const AUTH_REFUSALS = new Set(["not-authorized", "account-disabled", "credentials-expired", "invalid-authzid"]);

function outcome(el: Element): void {
  if (el.ns === NS.sasl && el.name === "success") return;
  if (el.ns === NS.sasl && el.name === "failure") {
    const condition = childrenOf(el).find((c) => c.name !== "text")?.name ?? "failure";
    const text = textOf(child(el, "text"));
    const kind = AUTH_REFUSALS.has(condition) ? "auth" : condition === "temporary-auth-failure" ? "transient" : "permanent";
    throw new RemoteError(kind, `the server refused the login (${condition})${text ? `: ${text}` : ""}`);
  }
  throw new RemoteError("permanent", `unexpected <${el.name}/> during SASL`);
}
