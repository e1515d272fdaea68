import cron from "node-cron";
import { describe, expect, it } from "vitest";
import { cronForInterval } from "./cadence.ts";

describe("cronForInterval", () => {
  it.each([10, 15, 30, 60, 300, 900, 3600, 7200, 86_400])("gives node-cron a valid expression for %i s", (s) => {
    for (const r of [0, 0.5, 0.999]) {
      const { expr, effectiveS } = cronForInterval(s, () => r);
      expect(cron.validate(expr)).toBe(true);
      expect(effectiveS).toBe(s);
    }
  });

  it("spreads devices over the interval instead of firing all at second 0", () => {
    const a = cronForInterval(60, () => 0.1).expr;
    const b = cronForInterval(60, () => 0.9).expr;
    expect(a).not.toBe(b);
  });

  it("rounds intervals cron cannot express and says so", () => {
    expect(cronForInterval(70, () => 0).effectiveS).toBe(60);
    expect(cronForInterval(1000, () => 0).effectiveS).toBe(900);
  });
});
