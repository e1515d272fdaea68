import type { FleetEvents } from "../../events.ts";
import type { Logger } from "../../log.ts";
import type { FleetStore } from "../../store/types.ts";
import type { SlaCommitments } from "../../reports/sla.ts";
import type { TokenStore } from "../auth/tokens.ts";
import type { CommandActions, DeadLetterActions, IncidentActions, SilenceActions, TicketActions } from "../ports.ts";

/** What the route handlers share; built once per app by buildApp. */
export interface RouteDeps {
  store: FleetStore;
  events: FleetEvents;
  log: Logger;
  ready: () => boolean;
  now: () => number;
  tokens: TokenStore;
  tickets: TicketActions | null;
  incidents: IncidentActions | null;
  silences: SilenceActions | null;
  commands: CommandActions | null;
  deadLetters: DeadLetterActions | null;
  /** Revokes a device and drops its connection at once (FleetServer.revokeDevice); else the store alone. */
  revokeDevice: ((id: string) => Promise<boolean>) | null;
  sla: SlaCommitments;
  metricsText: () => Promise<{ contentType: string; body: string }>;
}
