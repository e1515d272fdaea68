import type { IncidentMembers, IncidentRecord } from "./types.ts";

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
 * An incident_counts row (either store) as member counts; none yet is all zeros. `activeDevices` is kept
 * per device by the membership triggers (migration 10): one device can hold several active tickets in
 * an incident (a fleet-wide cloud incident absorbs its outage, latency and quota tickets alike), and one
 * user's three tickets must not page as three users.
 */
export function membersOf(r: Record<string, unknown> | undefined): IncidentMembers {
  const n = (k: string) => Number(r?.[k] ?? 0);
  return { live: n("live"), active: n("active"), activeDevices: n("active_devices"), flapping: n("flapping"), devices: n("devices") };
}
