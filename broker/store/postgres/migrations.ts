/**
 * PostgreSQL schema, the same tables as the SQLite store (broker/store/sqlite/migrations.ts) with
 * native types: bigint epoch milliseconds, jsonb bodies. Uniqueness that makes replicas safe lives in
 * the database, not in the code that checks first and writes second: a message id is stored once,
 * a device has one live ticket per fingerprint, an incident key has one live incident.
 * Never edit a released migration: add the next one.
 */
export const PG_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "registry, tickets, incidents",
    sql: `
      CREATE TABLE devices (
        id text PRIMARY KEY,
        secret_hash text,
        credential_status text NOT NULL DEFAULT 'none',
        created_at bigint NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}',
        online boolean NOT NULL DEFAULT false,
        online_since bigint,
        last_seen bigint,
        agent_version text, firmware_version text, model text, region text, app_id text,
        fault text, fault_summary text,
        telemetry jsonb,
        last_diagnosis_at bigint
      );
      CREATE INDEX devices_online ON devices(online);
      CREATE INDEX devices_fault ON devices(fault);
      CREATE TABLE seen_messages (
        msg_id text PRIMARY KEY,
        device_id text NOT NULL,
        received_at bigint NOT NULL
      );
      CREATE INDEX seen_messages_received ON seen_messages(received_at);
      CREATE TABLE telemetry_history (
        device_id text NOT NULL,
        ts bigint NOT NULL,
        body jsonb NOT NULL
      );
      CREATE INDEX telemetry_history_device_ts ON telemetry_history(device_id, ts);
      CREATE TABLE diagnoses (
        id text PRIMARY KEY,
        device_id text NOT NULL,
        ts bigint NOT NULL,
        fault text NOT NULL,
        summary text NOT NULL,
        command_id text,
        body jsonb NOT NULL
      );
      CREATE INDEX diagnoses_device_ts ON diagnoses(device_id, ts);
      CREATE TABLE tickets (
        id bigserial PRIMARY KEY,
        fingerprint text NOT NULL,
        device_id text NOT NULL,
        fault text NOT NULL,
        family text,
        status text NOT NULL,
        severity text NOT NULL,
        title text NOT NULL,
        opened_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        last_seen bigint NOT NULL,
        occurrences integer NOT NULL,
        evidence jsonb NOT NULL,
        incident_id bigint,
        resolved_at bigint,
        closed_at bigint,
        state jsonb NOT NULL DEFAULT '{}'
      );
      CREATE UNIQUE INDEX tickets_one_live ON tickets(fingerprint, device_id) WHERE status IN ('pending', 'open', 'acknowledged');
      CREATE INDEX tickets_incident ON tickets(incident_id);
      CREATE INDEX tickets_status ON tickets(status);
      CREATE TABLE incidents (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        status text NOT NULL,
        severity text NOT NULL,
        opened_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        resolved_at bigint,
        closed_at bigint,
        body jsonb NOT NULL
      );
      CREATE UNIQUE INDEX incidents_one_live ON incidents(key) WHERE status IN ('open', 'acknowledged');
      CREATE INDEX incidents_status ON incidents(status);
      CREATE TABLE silences (
        id text PRIMARY KEY,
        starts_at bigint NOT NULL,
        ends_at bigint NOT NULL,
        created_at bigint NOT NULL,
        body jsonb NOT NULL
      );
      CREATE TABLE audit (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        detail jsonb NOT NULL
      );
      CREATE INDEX audit_subject ON audit(subject, at);
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        target text NOT NULL,
        attempts integer NOT NULL,
        error text NOT NULL,
        body jsonb NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "api tokens and remote commands",
    // the SQLite units create these tables on first use (broker/http/auth/tokens.ts, broker/commands/store.ts);
    // here they are migrations, because two replicas racing on CREATE TABLE IF NOT EXISTS can fail
    sql: `
      CREATE TABLE api_tokens (
        id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL,
        hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        last_used_at bigint,
        revoked_at bigint
      );
      CREATE TABLE commands (
        id text PRIMARY KEY,
        device_id text NOT NULL,
        status text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        body jsonb NOT NULL
      );
      CREATE INDEX commands_device ON commands (device_id, created_at);
      CREATE INDEX commands_status ON commands (status);
    `,
  },
];
