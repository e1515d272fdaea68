import type { Severity } from "../../../shared/index.ts";
import { slaClocks } from "../../reports/ticket-sla.ts";
import type { FleetStore, TicketRecord } from "../../store/types.ts";
import type { Handlers } from "../api/register.ts";
import { httpError, notFound } from "../errors.ts";
import type { ApiTicket, TicketActions } from "../ports.ts";
import type { RouteDeps } from "./deps.ts";

type TicketOps = "listTickets" | "exportTickets" | "getTicket" | "acknowledgeTicket" | "resolveTicket" | "assignTicket" | "commentTicket";

interface TicketFilter {
  status?: TicketRecord["status"] | "active" | undefined;
  device?: string | undefined;
  severity?: Severity | undefined;
  fault?: string | undefined;
  limit: number;
}

/** The ticket with its SLA clocks (the engine's when it has them). */
export function withSla(t: ApiTicket, now: number): ApiTicket {
  return { ...t, sla: slaClocks(t, now) };
}

/** Tickets matching a filter, newest first; `active` = open or acknowledged. */
export async function findTickets(store: FleetStore, f: TicketFilter, now: number): Promise<ApiTicket[]> {
  const base = { ...(f.device ? { deviceId: f.device } : {}), limit: f.limit };
  const statuses: (TicketRecord["status"] | undefined)[] = f.status === "active" ? ["open", "acknowledged"] : [f.status as TicketRecord["status"] | undefined];
  const lists = await Promise.all(statuses.map((s) => store.listTickets({ ...base, ...(s ? { status: s } : {}) })));
  return lists
    .flat()
    .filter((t) => (!f.severity || t.severity === f.severity) && (!f.fault || t.fault === f.fault))
    .sort((a, b) => b.openedAt - a.openedAt || b.id - a.id)
    .slice(0, f.limit)
    .map((t) => withSla(t as ApiTicket, now));
}

const CSV_COLUMNS = ["id", "status", "severity", "fault", "deviceId", "title", "openedAt", "updatedAt", "occurrences", "summary"] as const;

function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : String(v);
  // a cell starting with = + - @ is a formula in spreadsheets (CSV injection): quote it as text
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Tickets as CSV, one row per ticket, times in ISO 8601 UTC. */
export function ticketsCsv(tickets: ApiTicket[]): string {
  const rows = tickets.map((t) =>
    [t.id, t.status, t.severity, t.fault, t.deviceId, t.title, new Date(t.openedAt).toISOString(), new Date(t.updatedAt).toISOString(), t.occurrences, t.evidence?.verdict?.summary ?? ""].map(csvCell).join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}

/** Tickets over HTTP: list, export, detail, and the people's actions through the ticket engine. */
export function ticketHandlers(d: RouteDeps): Pick<Handlers, TicketOps> {
  const engine = (): TicketActions => {
    if (!d.tickets) throw httpError("unavailable", "ticket actions are not available in this fleet (no ticket engine is wired); upgrade edge-fleet");
    return d.tickets;
  };
  const getOne = async (id: number): Promise<ApiTicket> => {
    const t = d.tickets ? await d.tickets.get(id) : (await d.store.listTickets({ limit: 100_000 })).find((x) => x.id === id);
    if (!t) throw notFound(`ticket ${id}`);
    return withSla(t as ApiTicket, d.now());
  };
  const act = async (id: number, run: (e: TicketActions) => Promise<ApiTicket | null>) => {
    await getOne(id);
    const t = await run(engine());
    if (!t) throw httpError("conflict", `ticket ${id} cannot take this action in its current state; reload it and check its status`);
    return { ticket: withSla(t, d.now()) };
  };
  return {
    listTickets: async ({ query }) => ({ tickets: await findTickets(d.store, query, d.now()) }),
    exportTickets: async ({ query, reply }) => {
      const tickets = await findTickets(d.store, query, d.now());
      const stamp = new Date(d.now()).toISOString().slice(0, 10);
      reply.header("content-disposition", `attachment; filename="tickets-${stamp}.${query.format}"`);
      if (query.format === "json") return reply.type("application/json").send(JSON.stringify({ tickets }, null, 2));
      return reply.type("text/csv; charset=utf-8").send(ticketsCsv(tickets));
    },
    getTicket: async ({ params }) => ({ ticket: await getOne(params.id) }),
    acknowledgeTicket: ({ params, principal }) => act(params.id, (e) => e.acknowledge(params.id, principal.name)),
    resolveTicket: ({ params, body, principal }) => act(params.id, (e) => e.resolve(params.id, principal.name, body?.note ?? null)),
    assignTicket: ({ params, body, principal }) => act(params.id, (e) => e.assign(params.id, principal.name, body.assignee)),
    commentTicket: ({ params, body, principal }) => act(params.id, (e) => e.comment(params.id, principal.name, body.text)),
  };
}
