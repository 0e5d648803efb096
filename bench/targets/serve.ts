// Entry point for the Node targets when they run as their own process (the benchmark
// spawns them so their CPU is theirs alone and they can be pinned to the server core).
// Usage: tsx bench/targets/serve.ts relay|echo  → prints "listening <port>".
import { startEcho } from "./echo-server";
import { startRelay } from "./relay-server";

const kind = process.argv[2];
if (kind !== "relay" && kind !== "echo") {
  console.error("usage: serve.ts relay|echo");
  process.exit(2);
}
const server = kind === "relay" ? await startRelay(0) : await startEcho(0);
console.log(`listening ${server.port}`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
