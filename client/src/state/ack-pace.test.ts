import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ackPacer } from "./ack-pace";

describe("ackPacer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("acks a lone burst at once and merges the ones that follow into one ack with the newest seq", () => {
    const sent: [string, number][] = [];
    const pacer = ackPacer((key, seq) => sent.push([key, seq]), 250);
    pacer.ack("hub", 3);
    expect(sent).toEqual([["hub", 3]]);
    pacer.ack("hub", 5);
    pacer.ack("hub", 4);
    pacer.ack("hub", 9);
    expect(sent).toEqual([["hub", 3]]);
    vi.advanceTimersByTime(249);
    expect(sent).toEqual([["hub", 3]]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([["hub", 3], ["hub", 9]]);
    // Quiet for a while: at once again.
    vi.advanceTimersByTime(1000);
    pacer.ack("hub", 10);
    expect(sent.at(-1)).toEqual(["hub", 10]);
  });

  it("paces each socket on its own", () => {
    const sent: [string, number][] = [];
    const pacer = ackPacer((key, seq) => sent.push([key, seq]), 250);
    pacer.ack("hub", 1);
    pacer.ack("room:g1", 7);
    pacer.ack("room:g1", 8);
    expect(sent).toEqual([["hub", 1], ["room:g1", 7]]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([["hub", 1], ["room:g1", 7], ["room:g1", 8]]);
  });

  it("forgets pending acks on reset", () => {
    const sent: number[] = [];
    const pacer = ackPacer((_k, seq) => sent.push(seq), 250);
    pacer.ack("hub", 1);
    pacer.ack("hub", 2);
    pacer.reset();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1]);
  });
});
