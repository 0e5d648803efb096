// What sendViaRelay needs inside the user's hub: TCP to the relay, attachments from the
// media store, the server's configuration. The relay's host is the operator's setting, not
// something a user typed, so it is not put through the private-address guard that user
// hosts go through (a relay on the operator's own network is normal).
import { connect } from "cloudflare:sockets";
import { readMedia } from "../connectors/media";
import type { TcpSocket } from "../connectors/types";
import type { Env } from "../env";
import type { RelayIO } from "./relay";

export function relayIO(env: Env, user: string): RelayIO {
  return {
    connect: (host, port, tls) => connect({ hostname: host, port }, { secureTransport: tls, allowHalfOpen: false }) as unknown as TcpSocket,
    media: {
      put: () => Promise.reject(new Error("the relay only reads media")),
      get: (id) => readMedia(env, id),
    },
    config: (name) => (env as unknown as Record<string, string | undefined>)[name],
    publicUrl: (env.PUBLIC_URL ?? "http://127.0.0.1:8787").replace(/\/$/, ""),
    log: (event, fields = {}) => console.log(JSON.stringify({ event, user, ...fields })),
  };
}
