import { FAULTS, severityRank, type FaultClass, type Severity } from "../../shared/index.ts";
import type { FleetConfig } from "../config/schema.ts";

type Ladders = FleetConfig["tickets"]["severity"];

/**
 * Severity from the blast radius and the function hit (DOMAIN.md): the fault's impact picks a
 * ladder, the first rung whose share of the online fleet and device count are reached applies.
 */
export function severityFor(fault: FaultClass, affected: number, online: number, ladders: Ladders, fallback: Severity): Severity {
  const ladder = ladders[FAULTS[fault].impact];
  // devices that report are online even if their state message has not arrived yet
  const share = affected / Math.max(online, affected, 1);
  for (const rung of ladder) if (share >= rung.min_share && affected >= rung.min_devices) return rung.severity;
  return fallback;
}

/** The more severe of two levels: an incident's severity only rises while it is open. */
export function worse(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}
