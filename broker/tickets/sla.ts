import { SEVERITY_TABLE, type Coverage, type Severity } from "../../shared/index.ts";
import type { FleetConfig } from "../config/schema.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** Covered hours of each calendar (DOMAIN.md: 7×24, 7×12, 5×8), in local time at a fixed UTC offset. */
const CALENDARS: Record<Coverage, { days: readonly number[]; from: number; to: number }> = {
  "24x7": { days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 24 * 60 },
  "7x12": { days: [0, 1, 2, 3, 4, 5, 6], from: 8 * 60, to: 20 * 60 },
  "5x8": { days: [1, 2, 3, 4, 5], from: 9 * 60, to: 17 * 60 },
};

/** The SLA of one severity: configuration over the shared table. */
export function slaOf(severity: Severity, cfg: FleetConfig["tickets"]): { respondMinutes: number; resolveMinutes: number | null; coverage: Coverage } {
  const row = SEVERITY_TABLE[severity];
  const o = cfg.sla[severity];
  return o
    ? { respondMinutes: o.respond_minutes, resolveMinutes: o.resolve_minutes, coverage: o.coverage }
    : { respondMinutes: row.respondMinutes, resolveMinutes: row.resolveMinutes, coverage: row.coverage };
}

/** The instant at which `minutes` of covered time have elapsed since `start`. */
export function dueAt(start: number, minutes: number, coverage: Coverage, utcOffsetMinutes = 0): number {
  const cal = CALENDARS[coverage];
  if (cal.to - cal.from === 24 * 60 && cal.days.length === 7) return start + minutes * MIN;
  const off = utcOffsetMinutes * MIN;
  let remaining = minutes * MIN;
  let t = start + off; // work in local time, convert back at the end
  // walk day by day through covered windows; bounded by a year so bad input cannot loop forever
  for (let i = 0; i < 400 && remaining > 0; i++) {
    const dayStart = Math.floor(t / DAY) * DAY;
    const dow = new Date(dayStart).getUTCDay();
    if (cal.days.includes(dow)) {
      const winStart = Math.max(t, dayStart + cal.from * MIN);
      const winEnd = dayStart + cal.to * MIN;
      if (winStart < winEnd) {
        const take = Math.min(remaining, winEnd - winStart);
        remaining -= take;
        t = winStart + take;
        if (remaining === 0) return t - off;
      }
    }
    t = dayStart + DAY;
  }
  return t - off;
}

/** When an incident of this severity opened at `openedAt` must be acknowledged and resolved. */
export function deadlines(openedAt: number, severity: Severity, cfg: FleetConfig["tickets"]): { respondBy: number; resolveBy: number | null } {
  const s = slaOf(severity, cfg);
  return {
    respondBy: dueAt(openedAt, s.respondMinutes, s.coverage, cfg.utc_offset_minutes),
    resolveBy: s.resolveMinutes === null ? null : dueAt(openedAt, s.resolveMinutes, s.coverage, cfg.utc_offset_minutes),
  };
}
