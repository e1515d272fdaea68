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
