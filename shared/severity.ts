import { z } from "zod";

export const SEVERITIES = ["P0", "P1", "P2", "P3"] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Support coverage calendars (DOMAIN.md): the hours during which an SLA clock runs. */
export const COVERAGES = ["24x7", "7x12", "5x8"] as const;
export const Coverage = z.enum(COVERAGES);
export type Coverage = z.infer<typeof Coverage>;

export interface SeverityInfo {
  readonly name: string;
  readonly impact: string;
  /** Minutes of covered time to acknowledge. */
  readonly respondMinutes: number;
  /** Minutes of covered time to resolve; null means "next release" (no clock). */
  readonly resolveMinutes: number | null;
  /** Default coverage: smart hardware is used at any hour, so 7×24 unless configured otherwise. */
  readonly coverage: Coverage;
}

/** The default severity/SLA table from DOMAIN.md; every figure is configuration on the fleet side. */
export const SEVERITY_TABLE: Readonly<Record<Severity, SeverityInfo>> = Object.freeze({
  P0: { name: "urgent", impact: "core function fully unavailable, all users affected", respondMinutes: 15, resolveMinutes: 240, coverage: "24x7" },
  P1: { name: "severe", impact: "main function impaired, part of the users affected", respondMinutes: 30, resolveMinutes: 480, coverage: "24x7" },
  P2: { name: "normal", impact: "minor function abnormal, few users affected", respondMinutes: 120, resolveMinutes: 1440, coverage: "24x7" },
  P3: { name: "minor", impact: "cosmetic, no business impact", respondMinutes: 240, resolveMinutes: null, coverage: "24x7" },
});

/** Lower index = more severe. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
