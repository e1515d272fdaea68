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
