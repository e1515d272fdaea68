import type { Handlers } from "../api/register.ts";
import { httpError, notFound } from "../errors.ts";
import type { ApiIncident, IncidentActions } from "../ports.ts";
import type { RouteDeps } from "./deps.ts";

type IncidentOps = "listIncidents" | "getIncident" | "acknowledgeIncident" | "resolveIncident" | "assignIncident" | "commentIncident";

/** Incidents (one fault across many devices) and the people's actions on them, through the ticket engine. */
export function incidentHandlers(d: RouteDeps): Pick<Handlers, IncidentOps> {
  const engine = (): IncidentActions => {
    if (!d.incidents) throw httpError("unavailable", "incidents are not available in this fleet (no ticket engine with incidents is wired); upgrade edge-fleet");
    return d.incidents;
  };
  const act = async (id: number, run: (e: IncidentActions) => Promise<ApiIncident | null>) => {
    const e = engine();
    if (!(await e.getIncident(id))) throw notFound(`incident ${id}`);
    const incident = await run(e);
    if (!incident) throw httpError("conflict", `incident ${id} cannot take this action in its current state; reload it and check its status`);
    return { incident };
  };
  return {
    listIncidents: async ({ query }) => {
      const statuses = query.status === "active" ? (["open", "acknowledged"] as const) : query.status ? ([query.status] as const) : undefined;
      return { incidents: await engine().listIncidents({ ...(statuses ? { statuses: [...statuses] } : {}), limit: query.limit }) };
    },
    getIncident: async ({ params }) => {
      const found = await engine().getIncident(params.id);
      if (!found) throw notFound(`incident ${params.id}`);
      return found;
    },
    acknowledgeIncident: ({ params, principal }) => act(params.id, (e) => e.acknowledgeIncident(params.id, principal.name)),
    resolveIncident: ({ params, body, principal }) => act(params.id, (e) => e.resolveIncident(params.id, principal.name, body?.note ?? null)),
    assignIncident: ({ params, body, principal }) => act(params.id, (e) => e.assignIncident(params.id, principal.name, body.assignee)),
    commentIncident: ({ params, body, principal }) => act(params.id, (e) => e.commentIncident(params.id, principal.name, body.text)),
  };
}
