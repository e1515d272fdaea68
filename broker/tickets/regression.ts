import type { DiagnosisMessage } from "../../shared/index.ts";
import type { DiagnosisRecord, RegressionFlag } from "../store/types.ts";
import { fingerprintOf } from "./fingerprint.ts";

/**
 * DOMAIN.md step 6: a fault that starts with a new agent or firmware version is a possible regression.
 * Flagged when the device ran another version before, never had this fault under it, and changed
 * version within `windowMs` of the fault's first occurrence.
 */
export function detectRegression(d: DiagnosisMessage, history: readonly DiagnosisRecord[], windowMs: number): RegressionFlag | null {
  const fp = fingerprintOf(d);
  const cur = d.versions;
  // history is newest first; find the boundary where the version was different
  let changedAt: number | null = null;
  let previous: DiagnosisMessage | null = null;
  for (const r of history) {
    const v = r.message.versions;
    if (v.agent === cur.agent && v.firmware === cur.firmware) {
      changedAt = r.ts;
      continue;
    }
    previous = r.message;
    break;
  }
  if (!previous) return null;
  const changed = changedAt ?? d.ts;
  if (d.ts - changed > windowMs) return null;
  const priorHadFault = history.some((r) => r.message.versions.agent === previous.versions.agent && r.message.versions.firmware === previous.versions.firmware && fingerprintOf(r.message) === fp);
  if (priorHadFault) return null;
  return previous.versions.firmware !== cur.firmware
    ? { kind: "firmware", from: previous.versions.firmware, to: cur.firmware, changedAt: changed }
    : { kind: "agent", from: previous.versions.agent, to: cur.agent, changedAt: changed };
}
