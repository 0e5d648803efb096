// The socket parser's hand-written check for `ack` frames must say exactly what the zod
// schema says, for acks and for everything that looks like one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientFrame, plainAck } from "../../core/protocol";

const zodSaysAck = (raw: unknown) => {
  const r = clientFrame.safeParse(raw);
  return r.success && r.data.t === "ack";
};

describe("plainAck", () => {
  it("agrees with the schema on acks and near-acks", () => {
    const cases: unknown[] = [
      { t: "ack", seq: 0 }, { t: "ack", seq: 41 }, { t: "ack", seq: Number.MAX_SAFE_INTEGER },
      { t: "ack", seq: Number.MAX_SAFE_INTEGER + 1 }, { t: "ack", seq: -1 }, { t: "ack", seq: 1.5 }, { t: "ack", seq: "3" },
      { t: "ack", seq: NaN }, { t: "ack", seq: Infinity }, { t: "ack" }, { t: "ack", seq: 1, x: 1 }, { seq: 1 },
      { t: "ACK", seq: 1 }, { t: "read", seq: 1 }, { t: "ack", seq: null }, { t: "ack", sequence: 1 },
      JSON.parse('{"t":"ack","seq":1,"__proto__":{"x":1}}'), [], null, "ack", 1, { t: "ack", seq: 1, t2: undefined },
    ];
    for (const c of cases) expect(plainAck(c), JSON.stringify(c)).toBe(zodSaysAck(c));
  });

  it("agrees with the schema on random objects", () => {
    const near = fc.record({ t: fc.oneof(fc.constant("ack"), fc.string()), seq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) }, { requiredKeys: [] });
    const extra = fc.tuple(near, fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue(), { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a }));
    fc.assert(fc.property(fc.oneof(near, extra, fc.jsonValue()), (raw) => plainAck(raw) === zodSaysAck(raw)), { numRuns: 2000 });
  });
});
