import type { TelemetryMessage } from "../../../shared/schemas/telemetry.ts";
import { FAULTS, type FaultClass } from "../../../shared/faults.ts";

export interface DeviceLike {
  online: boolean;
  fault: FaultClass | null;
  faultSummary: string | null;
}

/** A device's health as a colour class and a label: offline, healthy, or the side of its fault. */
export function health(d: DeviceLike): { cls: string; label: string } {
  if (!d.online) return { cls: "offline", label: "Offline" };
  if (d.fault === null) return { cls: "unknown", label: "Not diagnosed" };
  if (d.fault === "none") return { cls: "ok", label: "Healthy" };
  const side = FAULTS[d.fault].side;
  return { cls: side === "cloud" ? "cloud" : side === "unknown" ? "unknown" : "fault", label: FAULTS[d.fault].title };
}

export const faultTitle = (f: FaultClass) => FAULTS[f].title;
export { FAULTS };

type NetworkSample = NonNullable<TelemetryMessage["samples"]["network"]>;

/** Round-trip time: ICMP when the device may ping, else the TCP connect time to the AI service (first target). */
export function networkRtt(net: NetworkSample | undefined): number | null {
  return net?.icmp?.rtt_median_ms ?? net?.targets[0]?.connect_median_ms ?? null;
}

/** The Statuspage indicator in words: "none" means all systems operational. */
export function statusText(indicator: string | null | undefined): string {
  if (!indicator) return "—";
  return indicator === "none" ? "operational" : indicator === "maintenance" ? "maintenance" : `${indicator} incident`;
}

/** A capture level; digital silence (no sample above zero) reads "silent", not −200 dBFS. */
export function audioLevel(rmsDbfs: number | null | undefined): string {
  if (rmsDbfs == null) return "—";
  return rmsDbfs <= -150 ? "silent" : `${rmsDbfs.toFixed(1)} dBFS`;
}
