// `npm run chaos`: the long chaos run against a fresh `wrangler dev`.
// Options: --messages N (10000) --users N (4) --no-group --cut-ms N (200)
//          --xmpp-messages N (1000) --no-xmpp: the phase with a bound XMPP account on a real Prosody
import { parseArgs } from "node:util";
import { startDevServer } from "../support/dev-server";
import { startProsody } from "../support/peers/prosody";
import { failures, runChaos } from "./driver";
import { runXmppChaos, xmppFailures } from "./xmpp";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "10000" },
    users: { type: "string", default: "4" },
    "cut-ms": { type: "string", default: "200" },
    "no-group": { type: "boolean", default: false },
    "xmpp-messages": { type: "string", default: "1000" },
    "no-xmpp": { type: "boolean", default: false },
  },
});

const server = await startDevServer();
let code = 1;
try {
  const report = await runChaos(server, {
    users: Number(values.users),
    messages: Number(values.messages),
    cutEveryMs: Number(values["cut-ms"]),
    restartAt: 0.5,
    group: !values["no-group"],
    timeoutMs: 300_000,
    log: (line) => console.log(`[chaos] ${line}`),
  });
  const problems = failures(report);
  console.log(
    [
      `users ${report.users}, messages ${report.messages} (${values["no-group"] ? "1:1" : "1:1 + group"}), ${report.seconds.toFixed(1)} s`,
      `accepted ${report.accepted}, delivered ${report.delivered}`,
      `lost ${report.lost}, duplicated ${report.duplicated}, out of order ${report.outOfOrder}, group order mismatches ${report.groupOrderMismatches}, history mismatches ${report.historyMismatches}`,
      `socket cuts ${report.cuts}, reconnects ${report.reconnects}, server restarted ${report.restarted}`,
      `room sockets ${report.roomSockets}: cuts ${report.roomCuts}, reconnects ${report.roomReconnects}; group messages first by hub ${report.groupVia.hub}, by room ${report.groupVia.room}, late ${report.groupLate}; sends on both sockets ${report.crossPath}; members who cannot place the group in room order ${report.threadOrderMismatches}`,
      problems.length === 0 ? "PASS" : `FAIL:\n  ${problems.join("\n  ")}`,
    ].join("\n"),
  );
  code = problems.length === 0 ? 0 : 1;
  if (!values["no-xmpp"]) {
    const prosody = await startProsody();
    try {
      const x = await runXmppChaos(server, prosody, { messages: Number(values["xmpp-messages"]), cutEveryMs: Number(values["cut-ms"]), log: (line) => console.log(`[chaos xmpp] ${line}`) });
      const xp = xmppFailures(x);
      console.log(
        [
          `xmpp: ${x.messages} messages from a real XMPP peer, ${x.seconds.toFixed(1)} s; delivered ${x.delivered}`,
          `lost ${x.lost}, duplicated ${x.duplicated}, out of order ${x.outOfOrder}, history mismatches ${x.historyMismatches}`,
          `socket cuts ${x.cuts}, reconnects ${x.reconnects}, prosody restarted ${x.prosodyRestarted}, server restarted ${x.serverRestarted}`,
          xp.length === 0 ? "PASS" : `FAIL:\n  ${xp.join("\n  ")}`,
        ].join("\n"),
      );
      if (xp.length > 0) code = 1;
    } finally {
      await prosody.stop();
    }
  }
} catch (err) {
  console.error("chaos run failed:", err);
  console.error(server.logs().split("\n").slice(-40).join("\n"));
} finally {
  await server.stop();
}
process.exit(code);
