/**
 * The API's bodies as zod schemas: the route table validates requests with them and the OpenAPI
 * generator documents responses from them (tests/api checks real responses against them).
 */
import { z } from "zod";
import { COMMAND_NAMES, CommandProgress, CommandResponse, DiagnosisMessage, FaultClassSchema as FaultClass, LabelKey, Severity, TelemetryMessage } from "../../../shared/index.ts";
import { Role } from "../auth/roles.ts";

const Ms = z.number().int().describe("epoch milliseconds");

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const Device = z.object({
  id: z.string(),
  provisioned: z.boolean(),
  revoked: z.boolean(),
  online: z.boolean(),
  lastSeen: Ms.nullable(),
  onlineSince: Ms.nullable(),
  agentVersion: z.string().nullable(),
  firmwareVersion: z.string().nullable(),
  model: z.string().nullable(),
  region: z.string().nullable(),
  appId: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  fault: FaultClass.nullable(),
  faultSummary: z.string().nullable(),
  telemetry: TelemetryMessage.nullable(),
  lastDiagnosisAt: Ms.nullable(),
});

export const HistoryPoint = z.object({ ts: Ms, telemetry: TelemetryMessage });

export const Diagnosis = z.object({
  id: z.string(),
  deviceId: z.string(),
  ts: Ms,
  fault: FaultClass,
  summary: z.string(),
  commandId: z.string().nullable(),
  message: DiagnosisMessage,
});

/** Tickets carry the store's fields; the ticket engine may add more (incident, SLA clocks, notes). */
export const Ticket = z.looseObject({
  id: z.number().int(),
  fingerprint: z.string(),
  deviceId: z.string(),
  fault: FaultClass,
  family: z.string().nullable(),
  status: z.enum(["pending", "open", "acknowledged", "resolved", "closed"]),
  severity: Severity,
  title: z.string(),
  openedAt: Ms,
  updatedAt: Ms,
  lastSeen: Ms,
  occurrences: z.number().int(),
  evidence: DiagnosisMessage,
  sla: z
    .object({
      respondBy: Ms.nullable(),
      resolveBy: Ms.nullable(),
      respondBreached: z.boolean(),
      resolveBreached: z.boolean(),
    })
    .optional()
    .describe("computed from the severity table when the engine does not provide its own clocks"),
});

/** Label equality matchers over a ticket's labels (device_id, fault, family, region, model, firmware, agent, app_id, device labels); `*` = any value. */
export const SilenceMatchers = z
  .record(LabelKey, z.string().min(1).max(128))
  .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 16, "give 1 to 16 label matchers, e.g. {\"region\": \"eu\"}");

export const Incident = z.looseObject({
  id: z.number().int(),
  status: z.enum(["open", "acknowledged", "resolved", "closed"]),
  severity: Severity,
  title: z.string(),
  fault: FaultClass,
  openedAt: Ms,
  /** When the current SLA clocks started: the opening or the latest reopening (absent on incidents stored before it was kept). */
  clockStartedAt: Ms.optional(),
  deviceIds: z.array(z.string()),
  assignee: z.string().nullable(),
  respondBy: Ms.nullable(),
  resolveBy: Ms.nullable(),
  postmortem: z.object({ cause: z.string(), impact: z.string(), timeline: z.array(z.object({ at: Ms, event: z.string() })), actions: z.array(z.string()) }).nullable(),
});

export const Silence = z.looseObject({
  id: z.string(),
  matchers: z.record(z.string(), z.string()),
  startsAt: Ms,
  endsAt: Ms,
  comment: z.string(),
  createdBy: z.string(),
  createdAt: Ms,
});

/** A notification or a device report the fleet gave up on, kept for an operator (redacted). */
export const DeadLetter = z.looseObject({
  id: z.number().int(),
  at: Ms,
  /** The webhook's name for a notification; `ingest:<kind>` (never a webhook name) for a device report whose processing kept failing. */
  target: z.string(),
  attempts: z.number().int(),
  error: z.string(),
  body: z.unknown(),
});

export const CommandName = z.enum(COMMAND_NAMES as [string, ...string[]]);

export const Command = z.looseObject({
  id: z.string(),
  deviceId: z.string(),
  name: z.string(),
  status: z.string().describe("queued, delivered, progress, ok, error or expired"),
});

export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  createdAt: Ms,
  lastUsedAt: Ms.nullable(),
  revokedAt: Ms.nullable(),
});

export const SlaFigures = z.object({
  runs: z.number().int(),
  availabilityPct: z.number().nullable(),
  errorRatePct: z.number().nullable(),
  errorsByClass: z.record(z.string(), z.number().int()),
  latencyMs: z.object({ p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable() }),
  met: z.object({ availability: z.boolean().nullable(), errorRate: z.boolean().nullable(), latency: z.boolean().nullable() }),
});

export const SlaReport = z.object({
  generatedAt: Ms,
  from: Ms,
  to: Ms,
  commitments: z.object({ availabilityPct: z.number(), errorRatePct: z.number(), latencyMs: z.number(), latencyPercentile: z.enum(["p50", "p90", "p99"]) }),
  overall: SlaFigures,
  periods: z.array(SlaFigures.extend({ month: z.string(), region: z.string() })),
  breaches: z.array(z.object({ ticketId: z.number().int(), deviceId: z.string(), region: z.string(), month: z.string(), fault: FaultClass, severity: Severity, title: z.string(), openedAt: Ms })),
});

export const FleetEvent = z.object({
  type: z.enum(["state", "telemetry", "diagnosis", "ticket", "incident", "progress", "response", "command"]),
  data: z.union([CommandProgress, CommandResponse, DiagnosisMessage, z.record(z.string(), z.unknown())]),
});

export { LabelKey };
