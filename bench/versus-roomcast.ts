// The summary issue 16 asks of every run: Unibox ÷ roomcast (the chat-demo-shaped room on
// the same machine, in the same run) per group size, and the issue's targets, each met or
// not, from this run's rows. Nothing here is measured: it reads report.ts's rows.
import type { HandOver } from "./lib/context";
import { type Row, fmt } from "./report";

/**
 * A live member's hub gets its copy in a lazy digest (durable-objects/group-room.ts): after
 * 100–199 entries (`pileOf`), or GROUP_DIGEST_MS after the first it lacks. What a step of
 * `stepSeconds` at `rate` did not see of it is charged from the hand-over's cost per call,
 * spread over the entries one digest carries at that rate, but never over more than the
 * hand-over carried: a call costs a fixed wake plus a little per entry, so this errs high.
 */
export type DigestTerms = { digestSeconds: number; stepSeconds: number };
/** The room's pile-up digest goes after 100–199 entries (`pileOf`, half a page to a page of BATCH 200). */
export const PILE_MIN = 100;
const PILE_MEAN = 150;

const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${fmt(a / b)}×` : "–");
const find = (rows: Row[], target: string, where: (r: Row) => boolean) => rows.filter((r) => r.target === target && where(r));
const isGroup = (r: Row) => r.scenario === "fanout" || r.scenario === "room";

/** Of one target's steps in one scenario and size, the last one that passes `ok` before the first that does not. */
function upTo(rows: Row[], target: string, scenario: string, size: number, ok: (r: Row) => boolean = (r) => r.sustained !== false): { best?: Row; failed: boolean } {
  const mine = find(rows, target, (r) => r.scenario === scenario && r.size === size).sort((a, b) => (a.rate ?? 0) - (b.rate ?? 0));
  const first = mine.findIndex((r) => !ok(r));
  const passed = first < 0 ? mine : mine.slice(0, first);
  return { best: passed.at(-1), failed: first >= 0 };
}

const said = (c: { best?: Row; failed: boolean }) => (c.best === undefined ? "none" : `${c.failed ? "" : "≥ "}${fmt(c.best.rate ?? NaN)}`);
const scenariosAt = (rows: Row[], size: number) => [...new Set(rows.filter((r) => r.target === "unibox" && isGroup(r) && r.size === size).map((r) => r.scenario))];

/** Markdown: sustained msgs/s, then p99, CPU and DO calls at every rate both measured. */
export function versusRoomcast(rows: Row[]): string[] {
  const pairs = rows.filter((r) => r.target === "unibox" && isGroup(r)).map((u) => [u, rows.find((c) => c.target === "roomcast" && c.scenario === u.scenario && c.size === u.size && c.rate === u.rate)] as const);
  if (!pairs.some(([, c]) => c)) return [];
  const via = [...new Set(rows.filter((r) => r.target === "unibox" && isGroup(r)).map((r) => (r.roomSockets ? "room sockets" : "/api/ws (no room socket route)")))].join(" and ");
  const out = ["### Unibox ÷ roomcast (issue 16)", "", `Unibox's groups went over ${via}. "≥": never failed in the rates tried.`, ""];
  out.push("| scenario | members | highest sustained msg/s: Unibox | roomcast | Unibox ÷ roomcast |", "|---|---|---|---|---|");
  for (const [scenario, size] of [...new Set(pairs.map(([u]) => `${u.scenario}|${u.size}`))].map((k) => k.split("|") as [string, string])) {
    const u = upTo(rows, "unibox", scenario, Number(size));
    const c = upTo(rows, "roomcast", scenario, Number(size));
    out.push(`| ${scenario} | ${size} | ${said(u)} | ${said(c)} | ${u.best && c.best ? ratio(u.best.rate ?? NaN, c.best.rate ?? NaN) : "–"} |`);
  }
  out.push("", "| scenario | members | msg/s | p99 ms: Unibox / roomcast | ÷ | CPU µs/deliv: Unibox / roomcast | ÷ | Unibox DO calls per member per msg |", "|---|---|---|---|---|---|---|---|");
  for (const [u, c] of pairs) {
    if (!c) continue;
    const calls = u.extra.doCallsPerMessage === undefined ? "–" : fmt(u.extra.doCallsPerMessage / u.size);
    out.push(`| ${u.scenario} | ${u.size} | ${fmt(u.rate ?? NaN)} | ${fmt(u.p99.median)} / ${fmt(c.p99.median)} | ${ratio(u.p99.median, c.p99.median)} | ${fmt(u.cpuPerDeliveryUs.median)} / ${fmt(c.cpuPerDeliveryUs.median)} | ${ratio(u.cpuPerDeliveryUs.median, c.cpuPerDeliveryUs.median)} | ${calls} |`);
  }
  return [...out, ""];
}

type Verdict = { met: boolean | null; what: string; found: string };

/** The issue's targets for Unibox, judged on this run; null: this run did not measure it. */
export function issueTargets(rows: Row[], handOvers: HandOver[] = [], terms?: DigestTerms): string[] {
  const v: Verdict[] = [];
  /** µs per delivery of the digests a step at this rate did not contain (0 where piles come inside every step). */
  const digestShare = (r: Row): number => {
    const h = handOvers.find((x) => x.target === "unibox" && x.size === r.size);
    const rate = r.rate ?? 0;
    if (!h || !terms || rate <= 0 || rate * terms.stepSeconds >= PILE_MIN) return 0;
    return h.cpuPerCallUs / Math.max(1, Math.min(rate * terms.digestSeconds, PILE_MEAN, h.entries));
  };
  const uni = (where: (r: Row) => boolean) => find(rows, "unibox", where);

  // A size's best over its scenarios: at 10 members the room scenario (every member sends) reaches the rates.
  const bestOf = (size: number, ok?: (r: Row) => boolean) =>
    scenariosAt(rows, size).map((s) => upTo(rows, "unibox", s, size, ok).best).filter((r): r is Row => r !== undefined).sort((a, b) => (a.rate ?? 0) - (b.rate ?? 0)).at(-1);
  const best10 = bestOf(10, (r) => r.lossRate === 0 && r.p99.median <= 250);
  v.push({
    what: "group of 10 ≥ 400 msgs/s sustained, p99 ≤ 250 ms, no loss",
    met: scenariosAt(rows, 10).length ? (best10?.rate ?? 0) >= 400 : null,
    found: best10 ? `${fmt(best10.rate ?? NaN)} msgs/s (${best10.scenario}, p99 ${fmt(best10.p99.median)} ms)` : "no clean step",
  });
  const best100 = bestOf(100);
  v.push({
    what: "group of 100 ≥ 30 msgs/s sustained",
    met: scenariosAt(rows, 100).length ? (best100?.rate ?? 0) >= 30 : null,
    found: best100 ? `${fmt(best100.rate ?? NaN)} msgs/s (${best100.scenario})` : "none sustained",
  });

  // "At the same offered load": the issue's 30 msgs/s, or the highest rate both measured, said so.
  const both = uni((r) => r.scenario === "fanout" && r.size === 100).filter((u) => find(rows, "roomcast", (c) => c.scenario === "fanout" && c.size === 100 && c.rate === u.rate).length);
  const at = both.find((u) => u.rate === 30) ?? both.at(-1);
  const room = at && find(rows, "roomcast", (c) => c.scenario === "fanout" && c.size === 100 && c.rate === at.rate)[0];
  const p99x = at && room ? at.p99.median / room.p99.median : NaN;
  v.push({
    what: "group of 100: p99 ≤ 3× roomcast's at 30 msgs/s",
    met: at ? (at.rate === 30 ? p99x <= 3 : false) : null,
    found: at ? `${fmt(p99x)}× at ${fmt(at.rate ?? NaN)} msgs/s (${fmt(at.p99.median)} / ${fmt(room!.p99.median)} ms)${at.rate === 30 ? "" : "; Unibox not measured at 30"}` : "–",
  });

  // CPU is judged at each group size's highest sustained rate: at 1 msg/s the idle runtime's own ticks dominate.
  const tops = [...new Set(uni(isGroup).map((r) => `${r.scenario}|${r.size}`))]
    .map((k) => k.split("|") as [string, string])
    .map(([scenario, size]) => upTo(rows, "unibox", scenario, Number(size)).best)
    .filter((r): r is Row => r !== undefined);
  v.push({
    what: "server CPU per group delivery ≤ 300 µs (at each size's highest sustained rate)",
    met: tops.length ? tops.every((r) => r.cpuPerDeliveryUs.median + digestShare(r) <= 300) : null,
    found:
      tops
        .map((r) => {
          const share = digestShare(r);
          const total = `${fmt(r.cpuPerDeliveryUs.median + share)} µs`;
          return `${r.scenario} ${r.size} @${fmt(r.rate ?? NaN)}/s: ${share > 0 ? `${total} (${fmt(r.cpuPerDeliveryUs.median)} in the steps + ${fmt(share)} for the digests between them)` : total}`;
        })
        .join(", ") || "none sustained",
  });

  const top1 = upTo(rows, "unibox", "1to1", 2).best;
  v.push({ what: "server CPU per 1:1 message ≤ 1,500 µs (at the highest sustained rate)", met: top1 ? top1.cpuPerDeliveryUs.median <= 1500 : null, found: top1 ? `${fmt(top1.cpuPerDeliveryUs.median)} µs at ${fmt(top1.rate ?? NaN)} msg/s` : "–" });
  const floor1 = upTo(rows, "floor", "1to1", 2).best;
  v.push({ what: "highest sustained 1:1 rate ≥ the floor's", met: top1 && floor1 ? (top1.rate ?? 0) >= (floor1.rate ?? 0) : null, found: top1 && floor1 ? `${fmt(top1.rate ?? NaN)} against ${fmt(floor1.rate ?? NaN)} msg/s` : "–" });

  for (const [rate, most] of [[1, 1], [20, 0.2]] as const) {
    const r = uni((x) => x.scenario === "fanout" && x.size === 100 && x.rate === rate && x.extra.doCallsPerMessage !== undefined)[0];
    const perMember = r ? r.extra.doCallsPerMessage / r.size : NaN;
    v.push({ what: `DO calls per member per message ≤ ${most} at ${rate} msg/s, 100 members`, met: r ? perMember <= most : null, found: r ? perMember.toFixed(3) : "–" });
  }
  const word = (m: boolean | null) => (m === null ? "not measured" : m ? "**met**" : "**not met**");
  return ["### Issue 16 targets (Unibox, this run)", "", ...v.map((x) => `- ${word(x.met)}: ${x.what}: ${x.found}`), ""];
}
