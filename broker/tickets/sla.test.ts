import { describe, expect, it } from "vitest";
import { TicketsConfig } from "../config/schema.ts";
import { deadlines, dueAt } from "./sla.ts";

const at = (iso: string) => Date.parse(iso);

describe("SLA calendars", () => {
  it("runs the 24x7 clock straight through", () => {
    expect(dueAt(at("2026-01-03T23:50:00Z"), 15, "24x7")).toBe(at("2026-01-04T00:05:00Z"));
  });

  it("runs a 5x8 clock only on weekday working hours", () => {
    // Friday 16:30 + 2 h of covered time = 30 min Friday, 90 min Monday from 09:00
    expect(dueAt(at("2026-01-02T16:30:00Z"), 120, "5x8")).toBe(at("2026-01-05T10:30:00Z"));
    // opened on Saturday night: the clock starts Monday 09:00
    expect(dueAt(at("2026-01-03T22:00:00Z"), 30, "5x8")).toBe(at("2026-01-05T09:30:00Z"));
  });

  it("runs a 7x12 clock from 08:00 to 20:00 every day, at the configured UTC offset", () => {
    expect(dueAt(at("2026-01-03T19:30:00Z"), 60, "7x12")).toBe(at("2026-01-04T08:30:00Z"));
    // UTC+2: local 19:30 is 17:30Z; the window closes at 18:00Z and reopens at 06:00Z
    expect(dueAt(at("2026-01-03T17:30:00Z"), 60, "7x12", 120)).toBe(at("2026-01-04T06:30:00Z"));
  });

  it("takes response and resolution times from the severity table, overridable per severity", () => {
    const open = at("2026-01-05T10:00:00Z");
    expect(deadlines(open, "P0", TicketsConfig.parse({}))).toEqual({ respondBy: open + 15 * 60_000, resolveBy: open + 4 * 3_600_000 });
    expect(deadlines(open, "P3", TicketsConfig.parse({})).resolveBy).toBeNull();
    const cfg = TicketsConfig.parse({ sla: { P2: { respond_minutes: 60, resolve_minutes: 480, coverage: "5x8" } } });
    expect(deadlines(at("2026-01-09T16:30:00Z"), "P2", cfg).respondBy).toBe(at("2026-01-12T09:30:00Z"));
  });
});
