import { FAULTS, type DiagnosisMessage } from "../../shared/index.ts";
import type { DeviceRecord } from "../store/types.ts";

/**
 * The component a fault was seen in: the check of the first failing piece of evidence ("audio",
 * "text", "voice"...). It splits, for example, a speech-side cloud fault from a text-side one.
 */
export function componentOf(d: DiagnosisMessage): string | null {
  const failed = d.verdict.evidence.find((e) => e.status === "fail") ?? d.steps.find((s) => s.status === "fail");
  const name = failed ? ("check" in failed ? failed.check : failed.name) : null;
  return name ? name.toLowerCase().replace(/[^a-z0-9_]+/g, "_").slice(0, 32) : null;
}

/** Fingerprint = fault class + error-code family + component: one live ticket per fingerprint per device. */
export function fingerprintOf(d: DiagnosisMessage): string {
  return `${d.verdict.fault}:${d.verdict.error_code?.family ?? "-"}:${componentOf(d) ?? "-"}`;
}

/** Whose fault it is: device, local network or cloud (shared/faults.ts). */
export function sideOf(fault: DiagnosisMessage["verdict"]["fault"]): string {
  return FAULTS[fault].side;
}

/**
 * The labels silences and grouping match on: the fault's own, then the registry's (versions,
 * model, region) and the device's labels, which may not override the built-in names.
 */
export function ticketLabels(d: DiagnosisMessage, device: DeviceRecord | null): Record<string, string> {
  const out: Record<string, string> = { ...(device?.labels ?? {}) };
  const set = (k: string, v: string | null | undefined) => {
    if (v) out[k] = v;
    else delete out[k];
  };
  set("device_id", d.device_id);
  set("fault", d.verdict.fault);
  set("family", d.verdict.error_code?.family ?? null);
  set("component", componentOf(d));
  set("side", sideOf(d.verdict.fault));
  set("region", device?.region);
  set("model", device?.model);
  set("firmware", d.versions.firmware ?? device?.firmwareVersion);
  set("agent", d.versions.agent ?? device?.agentVersion);
  set("app_id", d.app_id ?? device?.appId);
  return out;
}

/** The incident key: the fingerprint plus the values of the configured group-by labels. */
export function groupKeyOf(fingerprint: string, labels: Record<string, string>, groupBy: readonly string[]): { key: string; groupLabels: Record<string, string> } {
  const groupLabels: Record<string, string> = {};
  for (const k of groupBy) groupLabels[k] = labels[k] ?? "";
  const suffix = groupBy.map((k) => `${k}=${groupLabels[k]}`).join(",");
  return { key: suffix ? `${fingerprint}|${suffix}` : fingerprint, groupLabels };
}

/** Whether a ticket with these labels belongs to an incident's group (its group-by label values). */
export function inGroup(groupLabels: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(groupLabels).every(([k, v]) => (labels[k] ?? "") === v);
}
