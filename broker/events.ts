import { EventEmitter } from "node:events";
import type { BundleChunk, CommandProgress, CommandResponse, DiagnosisMessage, StateMessage, TelemetryMessage } from "../shared/index.ts";
import type { IncidentRecord, TicketRecord } from "./store/types.ts";

/** What happened in the fleet, for live views (SSE), notifiers and tests. */
export interface FleetEventMap {
  state: [StateMessage];
  telemetry: [TelemetryMessage];
  diagnosis: [DiagnosisMessage];
  ticket: [{ action: "opened" | "updated" | "acknowledged" | "resolved" | "reopened" | "closed" | "escalated"; ticket: TicketRecord }];
  incident: [{ action: "opened" | "updated" | "acknowledged" | "resolved" | "reopened" | "closed" | "escalated"; incident: IncidentRecord }];
  progress: [CommandProgress];
  response: [CommandResponse];
  /** One chunk of a support bundle; broker/commands reassembles them. */
  bundle: [BundleChunk];
}

/** The fleet's in-process event bus; listeners that throw are isolated by the emitter's callers. */
export class FleetEvents extends EventEmitter<FleetEventMap> {
  constructor() {
    super({ captureRejections: true });
    // every SSE client adds listeners; the default limit of 10 would only produce noise warnings
    this.setMaxListeners(0);
  }
}
