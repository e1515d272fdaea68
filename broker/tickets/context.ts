import type { FleetConfig } from "../config/schema.ts";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import type { NotificationSink } from "../notify/types.ts";
import type { SilenceService } from "../silences/service.ts";
import type { FleetStore } from "../store/types.ts";

/** What the ticket engine's parts share. */
export interface EngineContext {
  store: FleetStore;
  events: FleetEvents;
  log: Logger;
  cfg: FleetConfig["tickets"];
  now: () => number;
  notify: NotificationSink;
  silences: SilenceService;
}

/** Ticket statuses that count as the device's one live ticket for a fingerprint. */
export const LIVE = ["pending", "open", "acknowledged"] as const;
/** Incident statuses in which people still act. */
export const ACTIVE = ["open", "acknowledged"] as const;
