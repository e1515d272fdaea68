import { describe, expect, it } from "vitest";
import { eModel, jitter, median, mosFromR, rpmForeign, trimmedMean95 } from "./quality.ts";

const G711 = { ie: 0, bpl: 25.1, codecDelayMs: 0, jitterBufferFactor: 2 };

describe("voice-quality figures", () => {
  it("jitter is the mean absolute difference of consecutive RTTs, median is the middle", () => {
    expect(jitter([10, 14, 12, 12])).toBe(2);
    expect(jitter([10])).toBeNull();
    expect(median([30, 10, 20, 40])).toBe(25);
  });

  it("a perfect network gives the E-model's default R of 93.2 and MOS 4.41", () => {
    expect(eModel(0, 0, 0, G711)).toEqual({ rFactor: 93.2, mos: 4.41 });
  });

  it("delay past 177.3 ms one way costs extra, as G.107's Id term says", () => {
    // d = 400/2 = 200 ms: Id = 0.024*200 + 0.11*(200-177.3) = 4.8 + 2.497
    expect(eModel(400, 0, 0, G711).rFactor).toBeCloseTo(93.2 - 7.297, 1);
  });

  it("loss equal to Bpl halves the headroom: Ie,eff = 95/2 for G.711", () => {
    expect(eModel(0, 0, 25.1, G711).rFactor).toBeCloseTo(93.2 - 47.5, 1);
    expect(mosFromR(45.7)).toBeLessThan(2.5);
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(120)).toBe(4.5);
  });

  it("RPM is 60000 over the mean of the trimmed means of the foreign probes", () => {
    expect(rpmForeign([10], [20], [30])).toBe(3000);
    expect(rpmForeign([50, 50], [], [])).toBe(1200);
    expect(rpmForeign([], [], [])).toBeNull();
    // one outlier among twenty is trimmed at the 95th percentile
    expect(trimmedMean95([...Array(19).fill(10), 1000])).toBe(10);
  });
});
