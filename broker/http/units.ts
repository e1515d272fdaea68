import type { FleetServer } from "../fleet.ts";
import type { AppOptions } from "./app.ts";

/** The parts of FleetServer the HTTP layer exposes. */
type FleetUnits = Pick<FleetServer, "ticketActions" | "tickets" | "commands" | "deadLetters" | "refusals" | "revokeDevice">;

/**
 * The app options for a fleet's units: the ticket engine's people-facing actions (tickets,
 * incidents, silences), the command service, refusal counts and revocation. fleet.ts spreads this
 * into buildApp, so that wiring a new unit into the API happens here, next to the routes.
 */
export function httpUnits(f: FleetUnits): Partial<AppOptions> {
  return {
    // the same TicketActionsApi the fleet built: one instance serves tickets and incidents
    tickets: f.ticketActions,
    incidents: f.ticketActions,
    silences: f.tickets.silences,
    commands: f.commands,
    deadLetters: f.deadLetters,
    refusals: f.refusals,
    revokeDevice: (id) => f.revokeDevice(id),
  };
}
