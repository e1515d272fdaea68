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
  {
    version: 3,
    name: "incident membership kept incrementally (issue #9: the outage storm)",
    // At 10,000 devices the engine re-read every member ticket on each diagnosis (O(n²) over a storm).
    // Membership now lives in its own table and its counts are kept by triggers as tickets change, in the
    // same transaction, so reading an incident's blast radius is one row whatever its size. The columns
    // the periodic pass filters on leave the ticket's JSON state, so it selects only what is due.
    sql: `
      ALTER TABLE tickets ADD COLUMN suppressed_by TEXT;
      ALTER TABLE tickets ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tickets ADD COLUMN healthy_since INTEGER;
      UPDATE tickets SET suppressed_by = json_extract(state, '$.suppressedBy'),
        flapping = coalesce(json_extract(state, '$.flapping'), 0), healthy_since = json_extract(state, '$.healthySince');
      CREATE INDEX tickets_device_status ON tickets(device_id, status);
      CREATE INDEX tickets_incident_status ON tickets(incident_id, status);
      CREATE INDEX tickets_status_opened ON tickets(status, opened_at);
      CREATE INDEX tickets_status_resolved ON tickets(status, resolved_at);
      CREATE INDEX tickets_status_healthy ON tickets(status, healthy_since);
      CREATE INDEX tickets_flapping ON tickets(flapping) WHERE flapping = 1;
      CREATE INDEX devices_online ON devices(online);

      CREATE TABLE incident_devices (
        incident_id INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        PRIMARY KEY (incident_id, device_id)
      ) WITHOUT ROWID;
      INSERT OR IGNORE INTO incident_devices (incident_id, device_id) SELECT i.id, d.value FROM incidents i, json_each(i.body, '$.deviceIds') d;
      CREATE TABLE incident_counts (
        incident_id INTEGER PRIMARY KEY,
        live INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 0,
        flapping INTEGER NOT NULL DEFAULT 0,
        devices INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO incident_counts (incident_id, live, active, flapping, devices) SELECT i.id,
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged')),
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL),
        (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL AND t.flapping = 1),
        (SELECT count(*) FROM incident_devices d WHERE d.incident_id = i.id)
        FROM incidents i;
      CREATE TABLE fleet_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
      INSERT INTO fleet_counts (name, n) VALUES ('online', (SELECT count(*) FROM devices WHERE online = 1));

      CREATE TRIGGER incidents_counts_row AFTER INSERT ON incidents BEGIN
        INSERT OR IGNORE INTO incident_counts (incident_id) VALUES (NEW.id);
      END;
      CREATE TRIGGER incidents_counts_gone AFTER DELETE ON incidents BEGIN
        DELETE FROM incident_counts WHERE incident_id = OLD.id;
        DELETE FROM incident_devices WHERE incident_id = OLD.id;
      END;
      CREATE TRIGGER incident_devices_count AFTER INSERT ON incident_devices BEGIN
        UPDATE incident_counts SET devices = devices + 1 WHERE incident_id = NEW.incident_id;
      END;
      CREATE TRIGGER tickets_member_in AFTER INSERT ON tickets WHEN NEW.incident_id IS NOT NULL BEGIN
        UPDATE incident_counts SET
          live = live + (NEW.status IN ('pending', 'open', 'acknowledged')),
          active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL),
          flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping = 1)
          WHERE incident_id = NEW.incident_id;
        INSERT OR IGNORE INTO incident_devices (incident_id, device_id) SELECT NEW.incident_id, NEW.device_id
          WHERE NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
      END;
      CREATE TRIGGER tickets_member_out AFTER DELETE ON tickets WHEN OLD.incident_id IS NOT NULL BEGIN
        UPDATE incident_counts SET
          live = live - (OLD.status IN ('pending', 'open', 'acknowledged')),
          active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL),
          flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping = 1)
          WHERE incident_id = OLD.incident_id;
      END;
      CREATE TRIGGER tickets_member_change AFTER UPDATE OF status, incident_id, suppressed_by, flapping ON tickets
        WHEN OLD.incident_id IS NOT NEW.incident_id OR OLD.status IS NOT NEW.status OR OLD.suppressed_by IS NOT NEW.suppressed_by OR OLD.flapping IS NOT NEW.flapping BEGIN
        UPDATE incident_counts SET
          live = live - (OLD.status IN ('pending', 'open', 'acknowledged')),
          active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL),
          flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping = 1)
          WHERE incident_id = OLD.incident_id;
        UPDATE incident_counts SET
          live = live + (NEW.status IN ('pending', 'open', 'acknowledged')),
          active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL),
          flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping = 1)
          WHERE incident_id = NEW.incident_id;
        INSERT OR IGNORE INTO incident_devices (incident_id, device_id) SELECT NEW.incident_id, NEW.device_id
          WHERE NEW.incident_id IS NOT NULL AND NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
      END;
      CREATE TRIGGER devices_online_in AFTER INSERT ON devices WHEN NEW.online = 1 BEGIN
        UPDATE fleet_counts SET n = n + 1 WHERE name = 'online';
      END;
      CREATE TRIGGER devices_online_change AFTER UPDATE OF online ON devices WHEN OLD.online IS NOT NEW.online BEGIN
        UPDATE fleet_counts SET n = n + NEW.online - OLD.online WHERE name = 'online';
      END;
      CREATE TRIGGER devices_online_out AFTER DELETE ON devices WHEN OLD.online = 1 BEGIN
        UPDATE fleet_counts SET n = n - 1 WHERE name = 'online';
      END;
    `,
  },
  {
    version: 4,
    name: "history count per device",
    // applyTelemetry trims a device's history in chunks with this count instead of counting its rows
    // behind an OFFSET on every report (~15 µs per report at 500 points, issue #9); reads stop at the
    // limit, so what they return is exactly the newest `history_per_device` points (store.ts)
    sql: `
      ALTER TABLE devices ADD COLUMN history_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN history_limit INTEGER;
      UPDATE devices SET history_count = (SELECT count(*) FROM telemetry_history h WHERE h.device_id = devices.id);
    `,
  },
  {
    version: 5,
    name: "the Last Will of the current connection",
    // applyState ignores a will older than the one the latest online state named (rows.ts willIds)
    sql: `ALTER TABLE devices ADD COLUMN will_msg_id TEXT;`,
  },
  {
    version: 6,
    name: "drop ticket indexes that others begin with",
    // (status) and (incident_id) lead tickets_status_opened and tickets_incident_status, which serve the
    // same lookups; each one more B-tree every ticket insert and update wrote: ~10 µs of a ~60 µs insert
    // in a 10,000-device outage storm (issue #9)
    sql: `
      DROP INDEX IF EXISTS tickets_status;
      DROP INDEX IF EXISTS tickets_incident;
    `,
  },
  {
    version: 7,
    name: "dead letters claimed while replayed",
    // a replay claims its dead letter for a while instead of deleting it first: a replay that cannot finish
    // (the store lost, the process killed) leaves it to reappear when the claim lapses (broker/ingest/replay.ts)
    sql: `ALTER TABLE dead_letters ADD COLUMN claimed_until INTEGER;`,
  },
  {
    version: 8,
    name: "message ids of reports whose effects are not all stored",
    // a diagnosis is marked unfinished with its row and finished with its ticket's last write: a fleet killed
    // (or a batch rolled back) between the two leaves the mark unfinished, and the redelivery finishes the
    // ticket instead of passing for a duplicate (broker/ingest/pipeline.ts)
    sql: `ALTER TABLE seen_messages ADD COLUMN unfinished INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 9,
    name: "the time of a device's latest telemetry",
    // the device row keeps its newest telemetry by the report's own time, capped at its arrival (a device clock
    // running ahead must not pin its latest report until that date), not by arrival: a spooled report that
    // arrives after a newer one (two replicas, a replayed dead letter) goes to the history only
    sql: `ALTER TABLE devices ADD COLUMN telemetry_ts INTEGER;
          UPDATE devices SET telemetry_ts = min(json_extract(telemetry, '$.ts'), last_seen) WHERE telemetry IS NOT NULL;`,
  },
  {
    version: 10,
    name: "the devices an incident affects now, counted per device",
    // min(active tickets, devices linked) over-counted once some linked devices stopped counting while others
    // held several tickets (a device's outage, latency and quota tickets in one cloud incident): 3 devices
    // affected paged as 5, a P0. Each membership row now counts its device's active tickets in the incident,
    // and incident_counts.active_devices the rows above zero, kept by the same triggers in the same transaction.
    sql: `
      ALTER TABLE incident_devices ADD COLUMN active INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE incident_counts ADD COLUMN active_devices INTEGER NOT NULL DEFAULT 0;
      UPDATE incident_devices SET active = (SELECT count(*) FROM tickets t WHERE t.incident_id = incident_devices.incident_id
        AND t.device_id = incident_devices.device_id AND t.status IN ('pending', 'open', 'acknowledged') AND t.suppressed_by IS NULL);
      UPDATE incident_counts SET active_devices = (SELECT count(*) FROM incident_devices d WHERE d.incident_id = incident_counts.incident_id AND d.active > 0);

      CREATE TRIGGER incident_devices_active AFTER UPDATE OF active ON incident_devices WHEN (OLD.active > 0) IS NOT (NEW.active > 0) BEGIN
        UPDATE incident_counts SET active_devices = active_devices + (NEW.active > 0) - (OLD.active > 0) WHERE incident_id = NEW.incident_id;
      END;
      DROP TRIGGER IF EXISTS tickets_member_in;
      DROP TRIGGER IF EXISTS tickets_member_out;
      DROP TRIGGER IF EXISTS tickets_member_change;
      CREATE TRIGGER tickets_member_in AFTER INSERT ON tickets WHEN NEW.incident_id IS NOT NULL BEGIN
        UPDATE incident_counts SET
          live = live + (NEW.status IN ('pending', 'open', 'acknowledged')),
          active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL),
          flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping = 1)
          WHERE incident_id = NEW.incident_id;
        INSERT OR IGNORE INTO incident_devices (incident_id, device_id) SELECT NEW.incident_id, NEW.device_id
          WHERE NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
        UPDATE incident_devices SET active = active + 1
          WHERE incident_id = NEW.incident_id AND device_id = NEW.device_id AND NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
      END;
      CREATE TRIGGER tickets_member_out AFTER DELETE ON tickets WHEN OLD.incident_id IS NOT NULL BEGIN
        UPDATE incident_counts SET
          live = live - (OLD.status IN ('pending', 'open', 'acknowledged')),
          active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL),
          flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping = 1)
          WHERE incident_id = OLD.incident_id;
        UPDATE incident_devices SET active = active - 1
          WHERE incident_id = OLD.incident_id AND device_id = OLD.device_id AND OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL;
      END;
      CREATE TRIGGER tickets_member_change AFTER UPDATE OF status, incident_id, suppressed_by, flapping ON tickets
        WHEN OLD.incident_id IS NOT NEW.incident_id OR OLD.status IS NOT NEW.status OR OLD.suppressed_by IS NOT NEW.suppressed_by OR OLD.flapping IS NOT NEW.flapping BEGIN
        UPDATE incident_counts SET
          live = live - (OLD.status IN ('pending', 'open', 'acknowledged')),
          active = active - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL),
          flapping = flapping - (OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL AND OLD.flapping = 1)
          WHERE incident_id = OLD.incident_id;
        UPDATE incident_devices SET active = active - 1
          WHERE incident_id = OLD.incident_id AND device_id = OLD.device_id AND OLD.status IN ('pending', 'open', 'acknowledged') AND OLD.suppressed_by IS NULL;
        UPDATE incident_counts SET
          live = live + (NEW.status IN ('pending', 'open', 'acknowledged')),
          active = active + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL),
          flapping = flapping + (NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL AND NEW.flapping = 1)
          WHERE incident_id = NEW.incident_id;
        INSERT OR IGNORE INTO incident_devices (incident_id, device_id) SELECT NEW.incident_id, NEW.device_id
          WHERE NEW.incident_id IS NOT NULL AND NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
        UPDATE incident_devices SET active = active + 1
          WHERE incident_id = NEW.incident_id AND device_id = NEW.device_id AND NEW.status IN ('pending', 'open', 'acknowledged') AND NEW.suppressed_by IS NULL;
      END;
    `,
  },
];
