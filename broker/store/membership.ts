import type { IncidentRecord } from "./types.ts";

/**
 * What an incident row's JSON body holds: the incident's own fields. Membership (device ids, counts) is
 * derived from its tickets by the store and never written back, so the row stays small however many
 * devices the incident grows to (issue #9: rewriting a growing device list on every diagnosis).
 */
export function incidentBody<T extends Omit<IncidentRecord, "deviceCount" | "activeDevices">>(i: T): T {
  const { deviceCount: _c, activeDevices: _a, ...rest } = i as T & Pick<IncidentRecord, "deviceCount" | "activeDevices">;
  return { ...rest, deviceIds: [] } as unknown as T;
}

/**
 * The devices an incident affects now. The store counts active member tickets, and one device can hold
 * several (a fleet-wide cloud incident absorbs a device's outage, latency and quota tickets alike): never
 * more than the devices linked, so one user's three tickets do not page as three users. Exact whenever
 * each device has at most one active ticket or every linked device is active; an O(1) bound otherwise.
 */
export function activeDevices(m: { active: number; devices: number }): number {
  return Math.min(m.active, m.devices);
}
