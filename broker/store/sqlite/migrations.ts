/**
 * Schema migrations, applied in order inside one transaction each; `schema_migrations` records the
 * versions applied. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "registry and tickets",
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        secret_hash TEXT,
        credential_status TEXT NOT NULL DEFAULT 'none',
        created_at INTEGER NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}',
        online INTEGER NOT NULL DEFAULT 0,
        online_since INTEGER,
        last_seen INTEGER,
        agent_version TEXT, firmware_version TEXT, model TEXT, region TEXT, app_id TEXT,
        fault TEXT, fault_summary TEXT,
        telemetry TEXT,
        last_diagnosis_at INTEGER
      );
      CREATE TABLE seen_messages (
        msg_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX seen_messages_received ON seen_messages(received_at);
      CREATE TABLE telemetry_history (
        device_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX telemetry_history_device_ts ON telemetry_history(device_id, ts);
      CREATE TABLE diagnoses (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        fault TEXT NOT NULL,
        summary TEXT NOT NULL,
        command_id TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX diagnoses_device_ts ON diagnoses(device_id, ts);
      CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        fingerprint TEXT NOT NULL,
        device_id TEXT NOT NULL,
        fault TEXT NOT NULL,
        family TEXT,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        occurrences INTEGER NOT NULL,
        evidence TEXT NOT NULL
      );
      -- one open ticket per fingerprint per device, enforced by the store itself
      CREATE UNIQUE INDEX tickets_one_open ON tickets(fingerprint, device_id) WHERE status IN ('open', 'acknowledged');
    `,
  },
  {
    version: 2,
    name: "incidents, silences, audit, dead letters",
    sql: `
      ALTER TABLE tickets ADD COLUMN incident_id INTEGER;
      ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
      ALTER TABLE tickets ADD COLUMN closed_at INTEGER;
      ALTER TABLE tickets ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
      -- a pending ticket is the device's one live ticket for its fingerprint too
      DROP INDEX tickets_one_open;
      CREATE UNIQUE INDEX tickets_one_open ON tickets(fingerprint, device_id) WHERE status IN ('pending', 'open', 'acknowledged');
      CREATE INDEX tickets_incident ON tickets(incident_id);
      CREATE INDEX tickets_status ON tickets(status);
      CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        resolved_at INTEGER,
        closed_at INTEGER,
        body TEXT NOT NULL
      );
      CREATE INDEX incidents_key ON incidents(key, status);
      CREATE INDEX incidents_status ON incidents(status);
      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX audit_subject ON audit(subject, at);
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        target TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        body TEXT NOT NULL
      );
    `,
  },
];
