import { TicketActionsApi } from "../tickets/actions.ts";
import { TicketEngine } from "../tickets/engine.ts";
import type { AppOptions } from "./app.ts";
import type { CommandActions } from "./ports.ts";

/** The parts of FleetServer the HTTP layer exposes; each is optional so the app runs with what is wired. */
interface FleetLike {
  tickets?: unknown;
  commands?: unknown;
  refusals?: { snapshot(): Record<string, number> };
  revokeDevice?: (id: string) => Promise<boolean>;
}

const isCommandService = (c: unknown): c is CommandActions => typeof (c as CommandActions | null)?.send === "function" && typeof (c as CommandActions).get === "function";

/**
 * The app options for a fleet's units: the ticket engine's people-facing actions (tickets,
 * incidents, silences), the command service, refusal counts and revocation. fleet.ts spreads this
 * into buildApp, so that wiring a new unit into the API happens here, next to the routes.
 */
export function httpUnits(f: FleetLike): Partial<AppOptions> {
  const out: Partial<AppOptions> = {};
  if (f.tickets instanceof TicketEngine) {
    const api = new TicketActionsApi(f.tickets);
    out.tickets = api;
    out.incidents = api;
    out.silences = f.tickets.silences;
  }
  if (isCommandService(f.commands)) out.commands = f.commands;
  if (f.refusals) out.refusals = f.refusals;
  if (f.revokeDevice) out.revokeDevice = (id) => f.revokeDevice!(id);
  return out;
}
