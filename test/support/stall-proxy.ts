// A TCP relay in front of a real server that a test can freeze: while stalled, nothing
// flows either way but every connection stays open, as when a network path dies without a
// FIN or RST. It is how a connector's keepalive is shown to notice a dead server.
import { createServer, type Socket, connect } from "node:net";

export type StallProxy = {
  port: number;
  /** Stop relaying (both directions); connections stay open. */
  stall(): void;
  resume(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
};

export async function stallProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<StallProxy> {
  let stalled = false;
  let accepted = 0;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const relay = (from: Socket, to: Socket) => from.on("data", (d) => (stalled ? undefined : to.write(d)));
    relay(client, upstream);
    relay(upstream, client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on("error", drop);
      s.on("close", drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("stall proxy has no port");
  return {
    port: address.port,
    stall: () => void (stalled = true),
    resume: () => void (stalled = false),
    get accepted() {
      return accepted;
    },
    async close() {
      for (const [a, b] of pairs) a.destroy(), b.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
