import { describe, expect, it } from "vitest";
import { backoffDelayMs, firstConnectDelayMs } from "./backoff.ts";

const policy = { initialMs: 1000, maxMs: 120_000, firstConnectJitterMs: 5000 };

describe("reconnect backoff (full jitter)", () => {
  it("doubles the ceiling per attempt up to the maximum", () => {
    const almostOne = () => 0.999_999;
    const ceilings = Array.from({ length: 10 }, (_, i) => backoffDelayMs(i, policy, almostOne));
    expect(ceilings).toEqual([999, 1999, 3999, 7999, 15_999, 31_999, 63_999, 119_999, 119_999, 119_999]);
  });

  it("draws uniformly below the ceiling, so a fleet spreads out instead of reconnecting in lock step", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(4000);
    // 10,000 devices losing the broker together: their first retries cover the whole window evenly
    let seed = 42;
    const lcg = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(backoffDelayMs(4, policy, lcg) / 1600)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(800);
  });

  it("never overflows for absurd attempt counts", () => {
    expect(backoffDelayMs(10_000, policy, () => 0.5)).toBe(60_000);
  });

  it("randomises the first connect within the configured jitter", () => {
    expect(firstConnectDelayMs(policy, () => 0)).toBe(0);
    expect(firstConnectDelayMs(policy, () => 0.5)).toBe(2500);
    expect(firstConnectDelayMs({ ...policy, firstConnectJitterMs: 0 }, () => 0.9)).toBe(0);
  });
});
