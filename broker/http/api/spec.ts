/**
 * The route table: one entry per operation with its method, path, required role and schemas. The
 * app registers routes from it and the OpenAPI generator documents it, so the two cannot drift.
 */
import { z } from "zod";
import { DeviceId, FaultClassSchema as FaultClass, LabelKey, Severity } from "../../../shared/index.ts";
import { Role, type Access } from "../auth/roles.ts";
import * as S from "./schemas.ts";

export interface RouteSpec {
  method: "GET" | "POST" | "DELETE";
  url: string;
  access: Access;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success body (JSON unless `produces` says otherwise). */
  response?: z.ZodType;
  status?: number;
  produces?: "text/event-stream" | "text/plain" | "application/json" | "text/csv";
}

const IdParam = z.object({ id: DeviceId });
const TicketIdParam = z.object({ id: z.coerce.number().int().min(1) });
const CommandIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be a command id as returned by POST /api/devices/{id}/commands") });
const Limit = (d: number) => z.coerce.number().int().min(1).max(5000).default(d);

export const DeviceListQuery = z.object({
  online: z.enum(["true", "false"]).optional(),
  fault: FaultClass.optional(),
  search: z.string().max(64).optional(),
  label: z.string().regex(/^[a-z][a-z0-9_]{0,31}=.{1,64}$/, "must be key=value").optional(),
  limit: Limit(500),
  offset: z.coerce.number().int().min(0).default(0),
});

export const TicketListQuery = z.object({
  status: z.enum(["pending", "open", "acknowledged", "resolved", "closed", "active"]).optional().describe("active = open or acknowledged"),
  device: DeviceId.optional(),
  severity: Severity.optional(),
  fault: FaultClass.optional(),
  limit: Limit(500),
});

const Actor = z.object({}).strict();

export const ROUTES = {
  healthz: { method: "GET", url: "/healthz", access: "public", tag: "health", summary: "Liveness: the process answers.", response: z.object({ status: z.literal("ok") }) },
  readyz: { method: "GET", url: "/readyz", access: "public", tag: "health", summary: "Readiness: store, broker and HTTP are up (503 while starting).", response: z.object({ status: z.string() }) },
  metrics: { method: "GET", url: "/metrics", access: "viewer", tag: "health", summary: "Prometheus metrics (text exposition format).", produces: "text/plain" },
  whoami: { method: "GET", url: "/api/me", access: "viewer", tag: "auth", summary: "The caller's token id, name and role.", response: z.object({ tokenId: z.string(), name: z.string(), role: Role }) },

  listDevices: { method: "GET", url: "/api/devices", access: "viewer", tag: "devices", summary: "Devices, filtered by online state, fault class, label or a search on id/model/region.", query: DeviceListQuery, response: z.object({ devices: z.array(S.Device) }) },
  provisionDevice: {
    method: "POST", url: "/api/devices", access: "admin", tag: "devices", status: 201,
    summary: "Provisions a device and returns its MQTT secret once (the fleet keeps only its hash).",
    body: z.object({ id: DeviceId, labels: z.record(LabelKey, z.string().min(1).max(64)).default({}) }).strict(),
    response: z.object({ device_id: z.string(), secret: z.string() }),
  },
  getDevice: { method: "GET", url: "/api/devices/:id", access: "viewer", tag: "devices", summary: "One device's registry record with its latest telemetry.", params: IdParam, response: z.object({ device: S.Device }) },
  revokeDevice: { method: "POST", url: "/api/devices/:id/revoke", access: "admin", tag: "devices", summary: "Revokes a device's credential; the fleet disconnects it.", params: IdParam, body: Actor.optional(), response: z.object({ revoked: z.literal(true) }) },
  deviceHistory: {
    method: "GET", url: "/api/devices/:id/history", access: "viewer", tag: "devices", summary: "Telemetry history, newest first.", params: IdParam,
    query: z.object({ since: z.coerce.number().int().min(0).default(0), limit: Limit(500) }), response: z.object({ history: z.array(S.HistoryPoint) }),
  },
  deviceDiagnoses: { method: "GET", url: "/api/devices/:id/diagnoses", access: "viewer", tag: "devices", summary: "Diagnoses with their evidence, newest first.", params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), response: z.object({ diagnoses: z.array(S.Diagnosis) }) },

  sendCommand: {
    method: "POST", url: "/api/devices/:id/commands", access: "technician", tag: "commands", status: 202,
    summary: "Sends a remote command (diagnose, probe-now, sample-now, bundle, ping; set-cadence needs admin); answers 202 with the command id.",
    params: IdParam,
    body: z.object({ name: S.CommandName, args: z.record(z.string(), z.unknown()).default({}), ttl_s: z.number().int().min(5).max(3600).default(120) }).strict(),
    response: z.object({ command: S.Command }),
  },
  getCommand: { method: "GET", url: "/api/commands/:id", access: "viewer", tag: "commands", summary: "A command's status, progress and result.", params: CommandIdParam, response: z.object({ command: S.Command }) },
  commandEvents: { method: "GET", url: "/api/commands/:id/events", access: "viewer", tag: "commands", summary: "Live progress, response and diagnosis of one command (Server-Sent Events; EventSource may pass ?access_token=).", params: CommandIdParam, produces: "text/event-stream" },
  commandBundle: { method: "GET", url: "/api/commands/:id/bundle", access: "technician", tag: "commands", summary: "Downloads the verified support bundle (JSON) a bundle command produced; a link may pass ?access_token=.", params: CommandIdParam, produces: "application/json" },

  listTickets: { method: "GET", url: "/api/tickets", access: "viewer", tag: "tickets", summary: "Tickets, newest first, filtered by status, device, severity or fault.", query: TicketListQuery, response: z.object({ tickets: z.array(S.Ticket) }) },
  exportTickets: { method: "GET", url: "/api/tickets/export", access: "viewer", tag: "tickets", summary: "Tickets as a CSV or JSON download (same filters as the list).", query: TicketListQuery.extend({ format: z.enum(["csv", "json"]).default("csv") }), produces: "text/csv" },
  getTicket: { method: "GET", url: "/api/tickets/:id", access: "viewer", tag: "tickets", summary: "One ticket with its evidence and SLA clocks.", params: TicketIdParam, response: z.object({ ticket: S.Ticket }) },
  acknowledgeTicket: { method: "POST", url: "/api/tickets/:id/acknowledge", access: "technician", tag: "tickets", summary: "Acknowledges a ticket (stops its respond clock).", params: TicketIdParam, body: Actor.optional(), response: z.object({ ticket: S.Ticket }) },
  resolveTicket: { method: "POST", url: "/api/tickets/:id/resolve", access: "technician", tag: "tickets", summary: "Resolves a ticket, with an optional note (the postmortem's summary).", params: TicketIdParam, body: z.object({ note: z.string().max(4000).optional() }).strict().optional(), response: z.object({ ticket: S.Ticket }) },
  assignTicket: { method: "POST", url: "/api/tickets/:id/assign", access: "technician", tag: "tickets", summary: "Assigns a ticket to a person (null unassigns).", params: TicketIdParam, body: z.object({ assignee: z.string().min(1).max(100).nullable() }).strict(), response: z.object({ ticket: S.Ticket }) },
  commentTicket: { method: "POST", url: "/api/tickets/:id/comment", access: "technician", tag: "tickets", summary: "Adds a comment to a ticket's timeline.", params: TicketIdParam, body: z.object({ text: z.string().min(1).max(4000) }).strict(), response: z.object({ ticket: S.Ticket }) },

  listIncidents: {
    method: "GET", url: "/api/incidents", access: "viewer", tag: "incidents", summary: "Incidents (one fault across devices), newest first; `active` = open or acknowledged.",
    query: z.object({ status: z.enum(["open", "acknowledged", "resolved", "closed", "active"]).optional(), limit: Limit(200) }), response: z.object({ incidents: z.array(S.Incident) }),
  },
  getIncident: { method: "GET", url: "/api/incidents/:id", access: "viewer", tag: "incidents", summary: "One incident with its member tickets, audit trail and postmortem.", params: TicketIdParam, response: z.object({ incident: S.Incident, tickets: z.array(S.Ticket), audit: z.array(z.record(z.string(), z.unknown())) }) },
  acknowledgeIncident: { method: "POST", url: "/api/incidents/:id/acknowledge", access: "technician", tag: "incidents", summary: "Acknowledges an incident and its tickets.", params: TicketIdParam, body: Actor.optional(), response: z.object({ incident: S.Incident }) },
  resolveIncident: { method: "POST", url: "/api/incidents/:id/resolve", access: "technician", tag: "incidents", summary: "Resolves an incident and its tickets; P0/P1 get a postmortem template.", params: TicketIdParam, body: z.object({ note: z.string().max(4000).optional() }).strict().optional(), response: z.object({ incident: S.Incident }) },
  assignIncident: { method: "POST", url: "/api/incidents/:id/assign", access: "technician", tag: "incidents", summary: "Assigns an incident (null unassigns).", params: TicketIdParam, body: z.object({ assignee: z.string().min(1).max(100).nullable() }).strict(), response: z.object({ incident: S.Incident }) },
  commentIncident: { method: "POST", url: "/api/incidents/:id/comment", access: "technician", tag: "incidents", summary: "Adds a comment to an incident.", params: TicketIdParam, body: z.object({ text: z.string().min(1).max(4000) }).strict(), response: z.object({ incident: S.Incident }) },

  listSilences: { method: "GET", url: "/api/silences", access: "viewer", tag: "silences", summary: "Active and future silences.", response: z.object({ silences: z.array(S.Silence) }) },
  createSilence: {
    method: "POST", url: "/api/silences", access: "admin", tag: "silences", status: 201, summary: "Creates a silence: matching tickets open but notify nobody until it ends.",
    body: z.object({ matchers: S.SilenceMatchers, starts_at: z.number().int().optional(), ends_at: z.number().int().optional(), duration_minutes: z.number().int().min(1).max(60 * 24 * 90).optional(), comment: z.string().min(1).max(500) }).strict(),
    response: z.object({ silence: S.Silence }),
  },
  deleteSilence: { method: "DELETE", url: "/api/silences/:id", access: "admin", tag: "silences", summary: "Ends a silence now.", params: z.object({ id: z.string().min(1).max(64) }), response: z.object({ deleted: z.literal(true) }) },

  listDeadLetters: {
    method: "GET", url: "/api/dead-letters", access: "technician", tag: "admin",
    summary: "What the fleet gave up on, newest first: webhook notifications that failed every attempt, and device reports whose processing kept failing (acknowledged so their devices could move on).",
    query: z.object({ limit: Limit(100) }), response: z.object({ dead_letters: z.array(S.DeadLetter) }),
  },
  replayDeadLetter: {
    method: "POST", url: "/api/dead-letters/:id/replay", access: "technician", tag: "admin",
    summary: "Processes a dead-lettered device report again once its cause is fixed: stored, it leaves the dead letters; failing again (409) it is kept and the answer says why; while another replay holds it, 409; a store that is down answers 503. A state report, or a diagnosis older than the device's latest, is not replayed (409: it would roll the device's state back), nor is a webhook notification (400); older telemetry is, into the device's history (the device keeps its newest report). Every replay is audited.",
    params: z.object({ id: z.coerce.number().int().min(1) }), response: z.object({ outcome: z.string(), dead_letter: S.DeadLetter }),
  },

  deleteDeadLetter: {
    method: "DELETE", url: "/api/dead-letters/:id", access: "technician", tag: "admin",
    summary: "Discards a dead letter someone has dealt with (audited); one a replay is holding answers 409.",
    params: z.object({ id: z.coerce.number().int().min(1) }), response: z.object({ deleted: z.literal(true) }),
  },

  listTokens: { method: "GET", url: "/api/tokens", access: "admin", tag: "auth", summary: "API tokens (never their secrets).", response: z.object({ tokens: z.array(S.ApiToken) }) },
  createToken: { method: "POST", url: "/api/tokens", access: "admin", tag: "auth", status: 201, summary: "Creates an API token and returns its secret once.", body: z.object({ name: z.string().min(1).max(64), role: Role }).strict(), response: z.object({ token: S.ApiToken, secret: z.string() }) },
  revokeToken: { method: "DELETE", url: "/api/tokens/:id", access: "admin", tag: "auth", summary: "Revokes an API token at once.", params: z.object({ id: z.string().min(1).max(64) }), response: z.object({ revoked: z.literal(true) }) },

  events: { method: "GET", url: "/api/events", access: "viewer", tag: "events", summary: "The fleet's live events (state, telemetry, diagnosis, ticket, progress, response) as Server-Sent Events; EventSource may pass ?access_token=.", query: z.object({ device: DeviceId.optional() }), produces: "text/event-stream" },

  slaReport: {
    method: "GET", url: "/api/reports/sla", access: "viewer", tag: "reports",
    summary: "The vendor SLA report from the devices' own measurements: availability, error rate by class and percentiles of the cloud's response latency (first audio or text after the request was sent) per month and region, against commitments.",
    query: z.object({
      from: z.coerce.number().int().min(0).optional(), to: z.coerce.number().int().min(0).optional(), region: z.string().max(64).optional(),
      availability_pct: z.coerce.number().min(0).max(100).optional(), error_rate_pct: z.coerce.number().min(0).max(100).optional(),
      latency_ms: z.coerce.number().positive().optional(), latency_percentile: z.enum(["p50", "p90", "p99"]).optional(),
    }),
    response: S.SlaReport,
  },
} as const satisfies Record<string, RouteSpec>;

export type OperationId = keyof typeof ROUTES;
