import type { DiagnosisMessage, FaultClass, Severity, StateMessage, TelemetryMessage } from "../../shared/index.ts";

/** A device's credential record; the secret itself is never stored, only its scrypt hash. */
export interface DeviceCredential {
  id: string;
  secretHash: string;
  status: "active" | "revoked";
  createdAt: number;
  labels: Record<string, string>;
}

/** The registry's view of one device. */
export interface DeviceRecord {
  id: string;
  provisioned: boolean;
  revoked: boolean;
  online: boolean;
  lastSeen: number | null;
  onlineSince: number | null;
  agentVersion: string | null;
  firmwareVersion: string | null;
  model: string | null;
  region: string | null;
  appId: string | null;
  labels: Record<string, string>;
  fault: FaultClass | null;
  faultSummary: string | null;
  telemetry: TelemetryMessage | null;
  lastDiagnosisAt: number | null;
}

export interface DeviceFilter {
  online?: boolean;
  fault?: FaultClass;
  search?: string;
  label?: { key: string; value: string };
  limit?: number;
  offset?: number;
}

export interface HistoryPoint {
  ts: number;
  telemetry: TelemetryMessage;
}

export interface DiagnosisRecord {
  id: string;
  deviceId: string;
  ts: number;
  fault: FaultClass;
  summary: string;
  commandId: string | null;
  message: DiagnosisMessage;
}

/** The support checklist a ticket carries (DOMAIN.md "what a good fault report carries"), redacted. */
export interface TicketContent {
  occurrence: { firstSeen: number; lastSeen: number; occurrences: number; perHour: number };
  errors: { code: string; family: string | null; message: string; httpStatus: number | null; source: string }[];
  requestParams: Record<string, unknown>[];
  scenario: string | null;
  appId: string | null;
  devices: string[];
  versions: { agent: string; firmware: string | null; sdk: string | null };
  steps: { name: string; status: string; detail: string; durationMs: number }[];
  evidence: { check: string; status: string; detail: string }[];
  actions: string[];
  logExcerpt: string[];
  summary: string;
}

/** A possible regression: the fault began soon after the device changed version. */
export interface RegressionFlag {
  kind: "agent" | "firmware";
  from: string | null;
  to: string | null;
  changedAt: number;
}

/**
 * One device's fault: one live ticket per fingerprint per device (pending/open/acknowledged). Tickets of
 * many devices with the same fingerprint are grouped under one incident (`incidentId`).
 */
export interface TicketRecord {
  id: number;
  fingerprint: string;
  deviceId: string;
  fault: FaultClass;
  family: string | null;
  status: "pending" | "open" | "acknowledged" | "resolved" | "closed";
  severity: Severity;
  title: string;
  openedAt: number;
  updatedAt: number;
  lastSeen: number;
  occurrences: number;
  evidence: DiagnosisMessage;
  incidentId: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  component: string | null;
  firstSeen: number;
  /** Why the ticket notifies nobody: `device_offline`, `local_network`, or `silence:<id>`. */
  suppressedBy: string | null;
  /** When the device last turned healthy for this fault; null while it is faulty. */
  healthySince: number | null;
  /** When a verification diagnosis (or a healthy one after the hold-down) confirmed the recovery. */
  verifiedAt: number | null;
  reopenCount: number;
  regression: RegressionFlag | null;
  /** Fault↔healthy transition times within the flap window (bounded). */
  transitions: number[];
  flapping: boolean;
  labels: Record<string, string>;
  content: TicketContent | null;
  acknowledgedAt: number | null;
}

export type IncidentStatus = "open" | "acknowledged" | "resolved" | "closed";

export interface Comment {
  at: number;
  author: string;
  text: string;
}

export interface Postmortem {
  cause: string;
  impact: string;
  timeline: { at: number; event: string }[];
  actions: string[];
}

/** A group of device tickets with one fingerprint (and the configured group labels): the unit people act on. */
export interface IncidentRecord {
  id: number;
  key: string;
  fingerprint: string;
  fault: FaultClass;
  family: string | null;
  side: string;
  groupLabels: Record<string, string>;
  status: IncidentStatus;
  severity: Severity;
  title: string;
  openedAt: number;
  /**
   * When the current SLA clocks started: the opening, or the latest reopening. A severity raised later takes its
   * deadlines from here. Absent on incidents stored before it was kept (their opening stands in).
   */
  clockStartedAt?: number;
  updatedAt: number;
  /** First notification sent (after the group wait); null while still gathering devices. */
  notifiedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  closedAt: number | null;
  assignee: string | null;
  comments: Comment[];
  /**
   * Device ids ever linked: on a record read from the store, the first INCIDENT_DEVICE_SAMPLE by id
   * (a 10,000-device incident does not carry 10,000 ids on every read; `listIncidentDevices` pages
   * through all of them). The store keeps membership in its own table, never in the incident's row.
   */
  deviceIds: string[];
  /** How many devices were ever linked (filled by the store on every read). */
  deviceCount?: number;
  /** Devices affected now: live, unsuppressed member tickets (filled by the store on every read). */
  activeDevices?: number;
  /** The peak count of devices affected at once. */
  peakDevices: number;
  /** Share of the online fleet at the peak, 0..1. */
  peakShare: number;
  escalations: { clock: "respond" | "resolve"; at: number; severity: Severity }[];
  reopenCount: number;
  flapping: boolean;
  regression: RegressionFlag | null;
  postmortem: Postmortem | null;
  /** When the severity's SLA clocks are due (covered time from openedAt); null = no clock. */
  respondBy: number | null;
  resolveBy: number | null;
}

export interface SilenceRecord {
  id: string;
  /** Label equality matchers over a ticket's labels (device_id, fault, family, region, model, firmware, agent, app_id, device labels). */
  matchers: Record<string, string>;
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
  createdAt: number;
  expiredAt?: number | null;
}

export interface AuditEntry {
  id?: number;
  at: number;
  actor: string;
  action: string;
  /** `incident:12`, `ticket:3`, `silence:<id>`. */
  subject: string;
  detail: Record<string, unknown>;
}

export interface DeadLetter {
  id?: number;
  at: number;
  target: string;
  attempts: number;
  error: string;
  body: unknown;
}

export interface TicketFilter {
  status?: TicketRecord["status"];
  statuses?: TicketRecord["status"][];
  deviceId?: string;
  fault?: FaultClass;
  /** null = tickets linked to no incident. */
  incidentId?: number | null;
  /** Opened (for a pending ticket: first seen) at or before this time. */
  openedBefore?: number;
  /** Turned healthy within (after, before]: the recovering tickets whose hold-down ended since the last pass. */
  healthySince?: { after?: number; before: number };
  flapping?: boolean;
  /** Resolved within (after, before]. */
  resolvedWithin?: { after?: number; before: number };
  limit?: number;
}

/** How many devices an incident's member tickets stand for, kept by the store as tickets change (O(1) to read). */
export interface IncidentMembers {
  /** Member tickets still live (pending, open, acknowledged). */
  live: number;
  /** Member tickets live and not suppressed. */
  active: number;
  /** Devices holding at least one active member ticket: the devices affected now, the blast radius. */
  activeDevices: number;
  /** Active and flapping. */
  flapping: number;
  /** Devices ever linked while active. */
  devices: number;
}

/** How many device ids a stored incident record carries in `deviceIds`. */
export const INCIDENT_DEVICE_SAMPLE = 100;

export interface IncidentFilter {
  statuses?: IncidentStatus[];
  key?: string;
  limit?: number;
}

/** What an earlier delivery of a message id left (FleetStore.markSeen). */
export type SeenMark = "new" | "stored" | "unfinished";

/**
 * Everything the fleet persists. Async so that the PostgreSQL store implements the same interface;
 * the SQLite store answers synchronously underneath.
 */
export interface FleetStore {
  readonly driver: "sqlite" | "postgres";
  open(): Promise<void>;
  close(): Promise<void>;

  addCredential(cred: DeviceCredential): Promise<void>;
  getCredential(id: string): Promise<DeviceCredential | null>;
  setCredentialStatus(id: string, status: DeviceCredential["status"]): Promise<boolean>;
  replaceSecret(id: string, secretHash: string): Promise<boolean>;
  /** Every device credential by id, or only those with `status` (the credential watch asks for the revoked ones). */
  listCredentials(filter?: { status?: DeviceCredential["status"] }): Promise<DeviceCredential[]>;

  /**
   * Records a message id (`unfinished` for a report whose effects span more than one write: a diagnosis and
   * its ticket) and says what an earlier delivery left: `new`, `stored` (a QoS 1 redelivery of a report whose
   * processing finished: a duplicate), or `unfinished` (an earlier delivery stored the report and did not get
   * to finish its effects: its replica was killed, the database was lost, a later batch rolled back; the
   * redelivery finishes them, on whichever replica it reaches).
   */
  markSeen(msgId: string, deviceId: string, receivedAt: number, unfinished?: boolean): Promise<SeenMark>;
  /** What is recorded for a message id, without recording it ("new": nothing). */
  seenMark(msgId: string): Promise<SeenMark>;
  /** The report's effects are all stored: a redelivery is a duplicate from now on (its last write, same transaction). */
  finishSeen(msgId: string): Promise<void>;
  /**
   * Forgets a message id's mark (a dead letter's replay: the report is to be processed again); with
   * `receivedAt`, only the mark recorded at that time (the dead letter's), never one another delivery stored since.
   */
  forgetSeen(msgId: string, receivedAt?: number): Promise<void>;

  /**
   * Applies a state message; false when it was a Last Will of an earlier connection than the device's
   * current one (its time-ordered msg_id is below the will_msg_id the latest online state named), which
   * changes nothing. A will of the current or of a later connection applies, as does any will of a
   * device that names none (older agents) or whose ids are not time-ordered.
   */
  applyState(state: StateMessage, receivedAt: number): Promise<boolean>;
  applyTelemetry(t: TelemetryMessage, receivedAt: number, historyLimit: number): Promise<void>;
  applyDiagnosis(d: DiagnosisMessage, receivedAt: number): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  listDevices(filter?: DeviceFilter): Promise<DeviceRecord[]>;
  history(id: string, since: number, limit: number): Promise<HistoryPoint[]>;
  diagnoses(id: string, limit: number): Promise<DiagnosisRecord[]>;

  /** The device's live ticket (pending, open or acknowledged) for a fingerprint. */
  findOpenTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null>;
  /** The most recent ticket of any status for a fingerprint on a device (reopen checks). */
  findLatestTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null>;
  insertTicket(t: Omit<TicketRecord, "id">): Promise<TicketRecord>;
  /** Writes every field of a ticket. */
  updateTicket(t: TicketRecord): Promise<void>;
  deleteTicket(id: number): Promise<void>;
  getTicket(id: number): Promise<TicketRecord | null>;
  listTickets(filter?: TicketFilter): Promise<TicketRecord[]>;

  insertIncident(i: Omit<IncidentRecord, "id">): Promise<IncidentRecord>;
  /** Writes the incident's own fields; membership (deviceIds, counts) is derived from its tickets and not written. */
  updateIncident(i: IncidentRecord): Promise<void>;
  getIncident(id: number): Promise<IncidentRecord | null>;
  listIncidents(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  /** The member counts of an incident, maintained as its tickets change (one row read, whatever the incident's size). */
  countIncidentMembers(id: number): Promise<IncidentMembers>;
  /** Device ids ever linked to an incident, ordered by id. */
  listIncidentDevices(id: number, page?: { limit?: number; offset?: number }): Promise<string[]>;
  /** Sets the severity of an incident's live member tickets in one statement (when the incident's rises). */
  setMemberSeverity(incidentId: number, severity: Severity): Promise<void>;

  putSilence(s: SilenceRecord): Promise<void>;
  getSilence(id: string): Promise<SilenceRecord | null>;
  listSilences(): Promise<SilenceRecord[]>;

  addAudit(e: AuditEntry): Promise<void>;
  listAudit(subject?: string, limit?: number): Promise<AuditEntry[]>;

  /**
   * Keeps a dead letter; with `seen`, also records that message id as finished, at the letter's time (one
   * transaction; an earlier delivery's unfinished mark included), so a redelivery is a duplicate.
   */
  addDeadLetter(d: DeadLetter, seen?: { msgId: string; deviceId: string }): Promise<void>;
  listDeadLetters(limit?: number): Promise<DeadLetter[]>;
  getDeadLetter(id: number): Promise<DeadLetter | null>;
  /** Claims a dead letter for a replay until `until`; false when it is gone or another replay holds it. */
  claimDeadLetter(id: number, now: number, until: number): Promise<boolean>;
  /**
   * Ends this claim (`claimedUntil`, as claimed) of a replay that did not store the report: the letter stays,
   * with the replay's error, and its message id is recorded again as finished (with the letter's time) so that neither a
   * redelivery nor a replay processes it twice. A claim that lapsed and was taken by another replay is left alone.
   */
  releaseDeadLetter(id: number, claimedUntil: number, error: string, seen: { msgId: string; deviceId: string; at: number }): Promise<void>;
  /** Deletes a dead letter (with `claimedUntil`, only while that claim holds it); false when it was not there. */
  deleteDeadLetter(id: number, claimedUntil?: number): Promise<boolean>;

  /** `{ online: true }` reads a counter the store keeps as devices change state (the blast radius asks on every diagnosis). */
  countDevices(filter?: { online?: boolean }): Promise<number>;
  /** Retention: drops closed tickets/incidents, telemetry history, message ids and dead letters older than the cut-offs. */
  purge(cutoffs: { closedBefore: number; historyBefore: number; seenBefore: number; deadLettersBefore: number }): Promise<{ tickets: number; incidents: number; history: number; seen: number; deadLetters: number }>;
}
