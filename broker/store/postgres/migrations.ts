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
  {
    version: 3,
    name: "incident membership kept incrementally (issue #9: the outage storm)",
    // as SQLite migration 3: membership in its own table, its counts kept by a trigger in the ticket
    // write's own transaction (replicas racing on one incident serialise on its counts row, never lose
    // a count), and the columns the periodic pass filters on out of the JSON state
    sql: `
      ALTER TABLE tickets ADD COLUMN suppressed_by text;
      ALTER TABLE tickets ADD COLUMN flapping boolean NOT NULL DEFAULT false;
      ALTER TABLE tickets ADD COLUMN healthy_since bigint;
      UPDATE tickets SET suppressed_by = state ->> 'suppressedBy', flapping = coalesce((state ->> 'flapping')::boolean, false),
        healthy_since = (state ->> 'healthySince')::bigint;
      CREATE INDEX tickets_device_status ON tickets(device_id, status);
      CREATE INDEX tickets_incident_status ON tickets(incident_id, status);
      CREATE INDEX tickets_status_opened ON tickets(status, opened_at);
      CREATE INDEX tickets_status_resolved ON tickets(status, resolved_at);
      CREATE INDEX tickets_status_healthy ON tickets(status, healthy_since);
      CREATE INDEX tickets_flapping ON tickets(flapping) WHERE flapping;

      CREATE TABLE incident_devices (
        incident_id bigint NOT NULL,
        device_id text NOT NULL,
        PRIMARY KEY (incident_id, device_id)
      );
      INSERT INTO incident_devices (incident_id, device_id)
        SELECT i.id, d FROM incidents i, jsonb_array_elements_text(coalesce(i.body -> 'deviceIds', '[]'::jsonb)) d ON CONFLICT DO NOTHING;
      CREATE TABLE incident_counts (
        incident_id bigint PRIMARY KEY,
        live integer NOT NULL DEFAULT 0,
        active integer NOT NULL DEFAULT 0,
        flapping integer NOT NULL DEFAULT 0,
        devices integer NOT NULL DEFAULT 0
      );
      INSERT INTO incident_counts (incident_id, live, active, flapping, devices) SELECT i.id,
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged')),
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL),
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL AND t.flapping),
        (SELECT count(*) FROM incident_devices d WHERE d.incident_id = i.id)
        FROM incidents i;
      CREATE TABLE fleet_counts (name text PRIMARY KEY, n bigint NOT NULL);
      INSERT INTO fleet_counts (name, n) VALUES ('online', (SELECT count(*) FROM devices WHERE online));

      CREATE FUNCTION incident_counts_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO incident_counts (incident_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        ELSE
          DELETE FROM incident_counts WHERE incident_id = OLD.id;
          DELETE FROM incident_devices WHERE incident_id = OLD.id;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER incidents_counts_row AFTER INSERT OR DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION incident_counts_row();

      CREATE FUNCTION ticket_membership() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        linked integer;
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.incident_id IS NOT DISTINCT FROM NEW.incident_id AND OLD.status = NEW.status
          AND OLD.suppressed_by IS NOT DISTINCT FROM NEW.suppressed_by AND OLD.flapping = NEW.flapping THEN
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.incident_id IS NOT NULL THEN
          UPDATE incident_counts SET
            live = live - (OLD.status IN ('pending', 'open', 'acknowledged'))::int,
            active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL)::int,
            flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping)::int
            WHERE incident_id = OLD.incident_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.incident_id IS NOT NULL THEN
          UPDATE incident_counts SET
            live = live + (NEW.status IN ('pending', 'open', 'acknowledged'))::int,
            active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL)::int,
            flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping)::int
            WHERE incident_id = NEW.incident_id;
          IF NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL THEN
            INSERT INTO incident_devices (incident_id, device_id) VALUES (NEW.incident_id, NEW.device_id) ON CONFLICT DO NOTHING;
            GET DIAGNOSTICS linked = ROW_COUNT;
            IF linked > 0 THEN
              UPDATE incident_counts SET devices = devices + 1 WHERE incident_id = NEW.incident_id;
            END IF;
          END IF;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tickets_membership AFTER INSERT OR DELETE OR UPDATE OF status, incident_id, suppressed_by, flapping ON tickets
        FOR EACH ROW EXECUTE FUNCTION ticket_membership();

      CREATE FUNCTION fleet_online_count() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        delta integer := 0;
      BEGIN
        IF TG_OP <> 'DELETE' AND NEW.online THEN delta := delta + 1; END IF;
        IF TG_OP <> 'INSERT' AND OLD.online THEN delta := delta - 1; END IF;
        IF delta <> 0 THEN
          UPDATE fleet_counts SET n = n + delta WHERE name = 'online';
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER devices_online_count AFTER INSERT OR DELETE OR UPDATE OF online ON devices FOR EACH ROW EXECUTE FUNCTION fleet_online_count();
    `,
  },
  {
    version: 4,
    name: "the Last Will of the current connection",
    // as SQLite migration 5: applyState ignores a will older than the one the latest online state named
    sql: `ALTER TABLE devices ADD COLUMN will_msg_id text;`,
  },
  {
    version: 5,
    name: "drop ticket indexes that others begin with",
    // as SQLite migration 6: tickets_status_opened and tickets_incident_status serve the same lookups
    sql: `
      DROP INDEX IF EXISTS tickets_status;
      DROP INDEX IF EXISTS tickets_incident;
    `,
  },
  {
    version: 6,
    name: "history trimmed in chunks",
    // applyTelemetry counts a device's reports and trims its history on every tenth-of-the-limit one
    // instead of on each (the trim reads back past the limit's worth of index entries and rows: most of the
    // server's CPU per report, issue #9); history() reads no further than the newest history_limit points
    sql: `
      ALTER TABLE devices ADD COLUMN history_seq bigint NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN history_limit integer;
    `,
  },
  {
    version: 7,
    name: "dead letters claimed while replayed",
    // as SQLite migration 7
    sql: `ALTER TABLE dead_letters ADD COLUMN claimed_until bigint;`,
  },
  {
    version: 8,
    name: "message ids of reports whose effects are not all stored",
    // as SQLite migration 8: on PostgreSQL every statement commits alone, so a replica killed or a database
    // lost between a diagnosis's row and its ticket leaves the mark unfinished for the redelivery, on any replica
    sql: `ALTER TABLE seen_messages ADD COLUMN unfinished boolean NOT NULL DEFAULT false;`,
  },
  {
    version: 9,
    name: "the time of a device's latest telemetry",
    // as SQLite migration 9: the report's time, capped at its arrival (a device clock running ahead must not
    // pin its latest report until that date), decides which report is the device's latest
    sql: `ALTER TABLE devices ADD COLUMN telemetry_ts bigint;
          UPDATE devices SET telemetry_ts = least((telemetry->>'ts')::bigint, last_seen) WHERE telemetry ? 'ts';`,
  },
  {
    version: 10,
    name: "the devices an incident affects now, counted per device",
    // as SQLite migration 10: each membership row counts its device's active tickets in the incident, and
    // incident_counts.active_devices the rows above zero (one device's several tickets are one user)
    sql: `
      ALTER TABLE incident_devices ADD COLUMN active integer NOT NULL DEFAULT 0;
      ALTER TABLE incident_counts ADD COLUMN active_devices integer NOT NULL DEFAULT 0;
      UPDATE incident_devices d SET active = (SELECT count(*) FROM tickets t WHERE t.incident_id = d.incident_id
        AND t.device_id = d.device_id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL);
      UPDATE incident_counts c SET active_devices = (SELECT count(*) FROM incident_devices d WHERE d.incident_id = c.incident_id AND d.active > 0);

      CREATE OR REPLACE FUNCTION ticket_membership() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        linked integer;
        held integer;
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.incident_id IS NOT DISTINCT FROM NEW.incident_id AND OLD.status = NEW.status
          AND OLD.suppressed_by IS NOT DISTINCT FROM NEW.suppressed_by AND OLD.flapping = NEW.flapping THEN
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.incident_id IS NOT NULL THEN
          UPDATE incident_counts SET
            live = live - (OLD.status IN ('pending', 'open', 'acknowledged'))::int,
            active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL)::int,
            flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping)::int
            WHERE incident_id = OLD.incident_id;
          IF OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL THEN
            UPDATE incident_devices SET active = active - 1 WHERE incident_id = OLD.incident_id AND device_id = OLD.device_id RETURNING active INTO held;
            IF held = 0 THEN
              UPDATE incident_counts SET active_devices = active_devices - 1 WHERE incident_id = OLD.incident_id;
            END IF;
          END IF;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.incident_id IS NOT NULL THEN
          UPDATE incident_counts SET
            live = live + (NEW.status IN ('pending', 'open', 'acknowledged'))::int,
            active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL)::int,
            flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping)::int
            WHERE incident_id = NEW.incident_id;
          IF NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL THEN
            INSERT INTO incident_devices (incident_id, device_id) VALUES (NEW.incident_id, NEW.device_id) ON CONFLICT DO NOTHING;
            GET DIAGNOSTICS linked = ROW_COUNT;
            IF linked > 0 THEN
              UPDATE incident_counts SET devices = devices + 1 WHERE incident_id = NEW.incident_id;
            END IF;
            UPDATE incident_devices SET active = active + 1 WHERE incident_id = NEW.incident_id AND device_id = NEW.device_id RETURNING active INTO held;
            IF held = 1 THEN
              UPDATE incident_counts SET active_devices = active_devices + 1 WHERE incident_id = NEW.incident_id;
            END IF;
          END IF;
        END IF;
        RETURN NULL;
      END $$;
    `,
  },
];
