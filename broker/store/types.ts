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

export interface TicketRecord {
  id: number;
  fingerprint: string;
  deviceId: string;
  fault: FaultClass;
  family: string | null;
  status: "open" | "acknowledged" | "resolved" | "closed";
  severity: Severity;
  title: string;
  openedAt: number;
  updatedAt: number;
  lastSeen: number;
  occurrences: number;
  evidence: DiagnosisMessage;
}

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
  listCredentials(): Promise<DeviceCredential[]>;

  /** Records a message id; false when it was seen before (a QoS 1 redelivery). */
  markSeen(msgId: string, deviceId: string, receivedAt: number): Promise<boolean>;

  applyState(state: StateMessage, receivedAt: number): Promise<void>;
  applyTelemetry(t: TelemetryMessage, receivedAt: number, historyLimit: number): Promise<void>;
  applyDiagnosis(d: DiagnosisMessage, receivedAt: number): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  listDevices(filter?: DeviceFilter): Promise<DeviceRecord[]>;
  history(id: string, since: number, limit: number): Promise<HistoryPoint[]>;
  diagnoses(id: string, limit: number): Promise<DiagnosisRecord[]>;

  findOpenTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null>;
  insertTicket(t: Omit<TicketRecord, "id">): Promise<TicketRecord>;
  touchTicket(id: number, at: number, evidence: DiagnosisMessage): Promise<void>;
  listTickets(filter?: { status?: TicketRecord["status"]; deviceId?: string; limit?: number }): Promise<TicketRecord[]>;
}
