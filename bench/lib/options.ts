// Command-line options for `npm run bench`. Defaults are the full run (every step ≥ 10 s,
// 3 runs); --quick trades precision for a ~3-minute development loop.
import { TARGETS, type TargetName } from "../targets";

export const SCENARIOS = ["1to1", "fanout", "room", "resume", "storm"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Options = {
  quick: boolean;
  runs: number;
  stepSeconds: number;
  /** After the last send, how long deliveries may still arrive before they count as lost. */
  drainSeconds: number;
  targets: TargetName[];
  scenarios: ScenarioName[];
  /** Offered msg/s for 1:1, stepped up until a target saturates. */
  rates: number[];
  fanoutSizes: number[];
  /** Deliveries/s the fan-out scenario aims at; the message rate is this over (size − 1). */
  fanoutDeliveries: number;
  /** A size's own ramp of msg/s, instead of the one step --fanout-deliveries gives it (issue 16: 100 members at 1, 20, 30+). */
  fanoutRates: Record<number, number[]>;
  roomSize: number;
  roomRates: number[];
  resumeSizes: number[];
  stormSockets: number;
  pin: boolean;
  /** Sockets ack each burst with someone else's message in it, as the phone client does (`--no-ack`: never). */
  ack: boolean;
  /** Before each measurement, wait up to this long for other work on the machine to stop. */
  quietSeconds: number;
  /** Measure the working tree as it is instead of the committed HEAD. */
  worktree: boolean;
  out?: string;
};

const FULL: Omit<Options, "quick" | "targets" | "scenarios" | "pin" | "ack" | "worktree" | "out"> = {
  runs: 3,
  stepSeconds: 10,
  drainSeconds: 5,
  rates: [50, 100, 200, 400, 800, 1600, 3200],
  fanoutSizes: [10, 100, 500],
  fanoutDeliveries: 200,
  fanoutRates: { 100: [1, 2, 10, 20, 30, 50] },
  roomSize: 10,
  roomRates: [25, 50, 100, 200, 400, 800, 1600],
  resumeSizes: [1000, 10000],
  stormSockets: 500,
  quietSeconds: 30,
};

const QUICK: Partial<Options> = {
  quietSeconds: 0, runs: 1, stepSeconds: 2, drainSeconds: 3, rates: [50, 200, 800, 3200], fanoutRates: { 100: [1, 20, 30] }, roomRates: [25, 100, 400, 800, 1600],
};

const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const numbers = (v: string) => list(v).map((s) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${s}`);
  return n;
});

export const USAGE = `npm run bench -- [--quick] [--runs N] [--step-seconds S] [--drain-seconds S]
  [--targets ${TARGETS.join(",")}] [--scenarios ${SCENARIOS.join(",")}]
  [--rates 50,100,...] [--fanout-sizes 10,100,500] [--fanout-deliveries 200] [--fanout-rates 100:1,20,30 …]
  [--room-size 10] [--room-rates 25,50,...] [--resume-sizes 1000,10000] [--storm-sockets 500]
  [--no-pin] [--no-ack] [--quiet-seconds 30] [--worktree] [--out bench/results/x.json]`;

export function parseOptions(argv: string[]): Options {
  const o: Options = { ...FULL, quick: false, targets: [...TARGETS], scenarios: [...SCENARIOS], pin: true, ack: true, worktree: false };
  if (argv.includes("--quick")) Object.assign(o, QUICK, { quick: true });
  let fanoutRatesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--quick":
        break;
      case "--runs": o.runs = numbers(value())[0]; break;
      case "--step-seconds": o.stepSeconds = numbers(value())[0]; break;
      case "--drain-seconds": o.drainSeconds = numbers(value())[0]; break;
      case "--targets": o.targets = pick(list(value()), TARGETS, "target"); break;
      case "--scenarios": o.scenarios = pick(list(value()), SCENARIOS, "scenario"); break;
      case "--rates": o.rates = numbers(value()); break;
      case "--fanout-sizes": o.fanoutSizes = numbers(value()); break;
      case "--fanout-deliveries": o.fanoutDeliveries = numbers(value())[0]; break;
      case "--fanout-rates": {
        // Repeatable, one size each; the first one given replaces the defaults.
        const [size, rates] = sizedRates(value());
        if (!fanoutRatesGiven) o.fanoutRates = {};
        fanoutRatesGiven = true;
        o.fanoutRates[size] = rates;
        break;
      }
      case "--room-size": o.roomSize = numbers(value())[0]; break;
      case "--room-rates": o.roomRates = numbers(value()); break;
      case "--resume-sizes": o.resumeSizes = numbers(value()); break;
      case "--storm-sockets": o.stormSockets = numbers(value())[0]; break;
      case "--no-pin": o.pin = false; break;
      case "--no-ack": o.ack = false; break;
      case "--worktree": o.worktree = true; break;
      case "--quiet-seconds": o.quietSeconds = Number(value()); break;
      case "--out": o.out = value(); break;
      case "--help": case "-h": console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  // Targets keep their canonical order: echo and relay first, so every later row has its baseline.
  o.targets = TARGETS.filter((t) => o.targets.includes(t));
  return o;
}

/** `100:1,20,30` → [100, [1, 20, 30]]. */
function sizedRates(v: string): [number, number[]] {
  const m = /^(\d+):(.+)$/.exec(v.trim());
  if (!m) throw new Error(`--fanout-rates wants SIZE:RATE,RATE… (e.g. 100:1,20,30), not ${v}`);
  return [Number(m[1]), numbers(m[2])];
}

function pick<T extends string>(names: string[], allowed: readonly T[], what: string): T[] {
  for (const n of names) if (!allowed.includes(n as T)) throw new Error(`unknown ${what} "${n}"; one of ${allowed.join(", ")}`);
  return names as T[];
}
