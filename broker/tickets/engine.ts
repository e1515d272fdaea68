import { FAULTS, type DiagnosisMessage, type Severity } from "../../shared/index.ts";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import type { FleetStore, TicketRecord } from "../store/types.ts";

/** Fingerprint = fault class + error-code family: one open ticket per fingerprint per device. */
export function fingerprintOf(d: DiagnosisMessage): string {
  return `${d.verdict.fault}:${d.verdict.error_code?.family ?? "-"}`;
}

/** Single-device severity from how close the fault is to the core function (DOMAIN.md). */
export function deviceSeverity(d: DiagnosisMessage): Severity {
  const impact = FAULTS[d.verdict.fault].impact;
  return impact === "core" ? "P1" : impact === "main" ? "P2" : impact === "degraded" ? "P2" : "P3";
}

/** Opens one ticket per faulty fingerprint per device, and counts recurrences on the open one. */
export class TicketEngine {
  #store: FleetStore;
  #events: FleetEvents;
  #log: Logger;

  constructor(store: FleetStore, events: FleetEvents, log: Logger) {
    this.#store = store;
    this.#events = events;
    this.#log = log;
  }

  async onDiagnosis(d: DiagnosisMessage, receivedAt: number): Promise<TicketRecord | null> {
    if (d.verdict.fault === "none") return null;
    const fingerprint = fingerprintOf(d);
    const open = await this.#store.findOpenTicket(fingerprint, d.device_id);
    if (open) {
      await this.#store.touchTicket(open.id, receivedAt, d);
      const ticket = { ...open, occurrences: open.occurrences + 1, lastSeen: receivedAt, updatedAt: receivedAt, evidence: d };
      this.#events.emit("ticket", { action: "updated", ticket });
      return ticket;
    }
    const ticket = await this.#store.insertTicket({
      fingerprint,
      deviceId: d.device_id,
      fault: d.verdict.fault,
      family: d.verdict.error_code?.family ?? null,
      status: "open",
      severity: deviceSeverity(d),
      title: `${FAULTS[d.verdict.fault].title} on ${d.device_id}`,
      openedAt: receivedAt,
      updatedAt: receivedAt,
      lastSeen: receivedAt,
      occurrences: 1,
      evidence: d,
    });
    this.#log.info({ ticket: ticket.id, device: d.device_id, fault: d.verdict.fault, severity: ticket.severity }, "ticket opened");
    this.#events.emit("ticket", { action: "opened", ticket });
    return ticket;
  }
}
