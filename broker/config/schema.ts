import { z } from "zod";
import { Coverage, LabelKey, SEVERITIES, Severity } from "../../shared/index.ts";

const Port = z.number().int().min(0).max(65535);

const TlsFiles = z.object({
  port: Port.default(8883),
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
  /** CA that signs device certificates; set it with require_client_cert for mutual TLS. */
  ca_file: z.string().min(1).optional(),
  require_client_cert: z.boolean().default(false),
}).refine((t) => !t.require_client_cert || t.ca_file, {
  // without our own CA, Node trusts the public roots: any publicly issued certificate whose CN is a
  // device id would authenticate as that device
  message: "require_client_cert needs ca_file: the CA that signs your device certificates",
  path: ["ca_file"],
});

const ServiceAccount = z
  .object({
    username: z.string().regex(/^svc[-_.:][A-Za-z0-9_.:-]{1,60}$/, "service account names start with 'svc-' so they can never be a device id in use"),
    secret_hash: z.string().startsWith("scrypt$", "must be a scrypt hash from 'edge-fleet devices service-secret'"),
  })
  .strict();

/** One rung of a severity ladder: the first rung whose share and device count are reached applies. */
const Rung = z.object({
  severity: Severity,
  /** Share of the online fleet affected, 0..1. */
  min_share: z.number().min(0).max(1).default(0),
  min_devices: z.number().int().min(1).default(1),
});

const SlaEntry = z.object({
  respond_minutes: z.number().positive(),
  resolve_minutes: z.number().positive().nullable(),
  coverage: Coverage,
});

/** Ticket engine configuration (issue #6); every figure of DOMAIN.md is a default here. */
export const TicketsConfig = z.object({
  default_severity: Severity.default("P2"),
  /** Labels that split incidents besides the fingerprint: region, firmware, model, agent, or a device label key. */
  group_by: z.array(LabelKey).max(8).default([]),
  /**
   * Severity ladders by how close the fault is to the core function (shared/faults.ts impact). Defaults:
   * core down for half the online fleet → P0, for a tenth → P1, else P2; main impaired for a tenth → P1.
   */
  severity: z
    .object({
      core: z.array(Rung).min(1).default([
        { severity: "P0", min_share: 0.5, min_devices: 5 },
        { severity: "P1", min_share: 0.1, min_devices: 2 },
        { severity: "P2", min_share: 0, min_devices: 1 },
      ]),
      main: z.array(Rung).min(1).default([
        { severity: "P1", min_share: 0.1, min_devices: 2 },
        { severity: "P2", min_share: 0, min_devices: 1 },
      ]),
      degraded: z.array(Rung).min(1).default([
        { severity: "P2", min_share: 0, min_devices: 1 },
      ]),
      none: z.array(Rung).min(1).default([{ severity: "P3", min_share: 0, min_devices: 1 }]),
    })
    .prefault({}),
  /** A fault must persist this long before its ticket opens (0 = at once; the ticket is listed as pending meanwhile). */
  pending_ms: z.number().int().min(0).default(0),
  /** An incident waits this long for more devices before its first notification, so 50 reports make one page. */
  group_wait_ms: z.number().int().min(0).default(30_000),
  /** A device must stay healthy this long before its ticket may resolve. */
  hold_down_ms: z.number().int().min(0).default(300_000),
  /** A fault recurring this soon after resolution reopens the ticket instead of opening a new one. */
  reopen_window_ms: z.number().int().min(0).default(24 * 3_600_000),
  /** Flapping: this many fault↔healthy transitions within the window mutes the ticket's notifications. */
  flap_transitions: z.number().int().min(2).default(4),
  flap_window_ms: z.number().int().min(1000).default(3_600_000),
  /** A cloud incident affecting at least this share of the online fleet absorbs per-device cloud tickets. */
  absorb_share: z.number().min(0).max(1).default(0.1),
  /** A fault that starts within this time of a version change is flagged as a possible regression. */
  regression_window_ms: z.number().int().min(0).default(72 * 3_600_000),
  /** Periodic evaluation: pending, group wait, hold-down, SLA clocks. */
  evaluate_interval_ms: z.number().int().min(100).default(10_000),
  /** Ask a recovered device for a verification diagnosis when its hold-down ends. */
  request_verification: z.boolean().default(true),
  /** SLA per severity; defaults are shared/severity.ts SEVERITY_TABLE. */
  sla: z.partialRecord(Severity, SlaEntry).default({}),
  /** Business-hours calendars (7x12, 5x8) are evaluated at this UTC offset. */
  utc_offset_minutes: z.number().int().min(-720).max(840).default(0),
});

const Webhook = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
    url: z.url({ protocol: /^https?$/ }),
    format: z.enum(["json", "pagerduty", "slack"]).default("json"),
    /** PagerDuty Events v2 integration key (format pagerduty). */
    routing_key: z.string().min(1).optional(),
    /** Only incidents at this severity or worse are sent. */
    min_severity: Severity.default("P3"),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** Notification targets and delivery policy. */
export const NotifyConfig = z.object({
  webhooks: z.array(Webhook).max(16).default([]),
  max_attempts: z.number().int().min(1).max(20).default(6),
  backoff_initial_ms: z.number().int().min(10).default(1000),
  backoff_max_ms: z.number().int().min(10).default(300_000),
  timeout_ms: z.number().int().min(100).default(10_000),
  /** Public address of the dashboard, for links in notifications. */
  base_url: z.string().optional(),
});

export const FleetConfigSchema = z
  .object({
    mqtt: z
      .object({
        /** Embedded aedes, or a client of an existing broker/cluster (external mode, shared subscriptions). */
        mode: z.enum(["embedded", "external"]).default("embedded"),
        host: z.string().default("0.0.0.0"),
        /** 1883 is often taken by a system Mosquitto; any port works, 0 picks a free one. */
        port: Port.default(1883),
        tls: TlsFiles.optional(),
        ws: z.object({ port: Port.default(8083) }).optional(),
        external: z
          .object({
            url: z.string().min(1),
            username: z.string().optional(),
            password: z.string().optional(),
            client_id: z.string().min(1).default("edge-fleet"),
            share_group: z.string().regex(/^[A-Za-z0-9_-]+$/).default("edge-fleet"),
            ca_file: z.string().optional(),
          })
          .optional(),
        /**
         * Embedded broker on several processes or hosts (issue #9): aedes shares its message bus
         * (mqemitter-redis) and sessions (aedes-persistence-redis) through Redis, so a command published by
         * one process reaches a device connected to another. Give each fleet its own Redis database.
         */
        cluster: z
          .object({
            redis_url: z.string().regex(/^redis:\/\//, "must be a redis:// URL, e.g. redis://127.0.0.1:6379/0"),
            /**
             * How often each broker announces itself. A broker silent for 3 intervals is dead: another one
             * publishes the Last Wills of its devices (checked every 4 intervals), so they go offline within
             * ~7 intervals of a crash. aedes' own default, 60 s, would leave them "online" for up to 7 minutes.
             */
            heartbeat_interval_ms: z.number().int().min(500).max(60_000).default(5000),
          })
          .strict()
          .optional(),
        /**
         * A report larger than this is acked and dropped (counted as oversized). A packet announcing more
         * than max(1 MiB, 4 × this) is refused at its header and its connection closed, before it is read.
         */
        max_payload_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(128 * 1024),
        max_topic_levels: z.number().int().min(4).max(100).default(8),
        publish_rate: z.object({ per_second: z.number().positive().default(20), burst: z.number().int().positive().default(60) }).prefault({}),
        connect_rate: z.object({ per_minute_per_address: z.number().int().positive().default(120) }).prefault({}),
        /** Bounds a write to a frozen subscriber so it cannot deadlock delivery for everyone (aedes #1032). */
        drain_timeout_ms: z.number().int().positive().default(30_000),
        allow_anonymous: z.boolean().default(false),
        /**
         * The fleet's own identities (external-broker consumers, ops tools): they read every device's
         * reports and publish commands, and are never device ids. Hash a secret with
         * `edge-fleet devices service-secret`.
         */
        service_accounts: z.array(ServiceAccount).max(32).default([]),
        /** How often a running fleet rereads credentials, so a revocation made by the CLI disconnects the device. */
        credential_check_interval_ms: z.number().int().min(1000).max(3_600_000).default(30_000),
      })
      .prefault({}),
    http: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: Port.default(8080),
      })
      .prefault({}),
    store: z
      .discriminatedUnion("driver", [
        z.object({ driver: z.literal("sqlite"), path: z.string().min(1).default(".data/fleet.db") }),
        z.object({
          driver: z.literal("postgres"),
          /** postgres://user[:password]@host:5432/db; the password is never logged. */
          url: z.string().min(1),
          /** Schema holding the fleet's tables, created if missing; absent: the URL's search_path (public). */
          schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier (letters, digits, underscore)").optional(),
          pool_size: z.number().int().min(1).max(200).default(10),
          /**
           * While the database is unreachable, one operation retries this long before failing. The ingest
           * answers a device only after storing, so a failed write leaves the report in the device's spool.
           */
          retry_ms: z.number().int().min(0).max(600_000).default(5000),
          /**
           * Statements waiting for an unreachable database at once; past it they fail at once (bounded memory).
           * A turn's telemetry reports and message-id checks are one statement each, of up to 500 reports.
           */
          max_waiting: z.number().int().min(1).max(100_000).default(1000),
          connect_timeout_ms: z.number().int().min(100).max(120_000).default(5000),
          /** A statement unanswered this long is abandoned and its connection dropped (a black-holed network). */
          query_timeout_ms: z.number().int().min(100).max(600_000).default(15_000),
        }).strict(),
      ])
      .default({ driver: "sqlite", path: ".data/fleet.db" }),
    registry: z
      .object({
        history_per_device: z.number().int().min(10).max(100_000).default(500),
        /**
         * A report whose processing fails this many times for a reason of its own (a bug its content reaches,
         * a constraint it breaks; never the store being down) is kept as a dead letter and acknowledged, so
         * that it cannot block its device or the ingest (GET /api/dead-letters lists them).
         */
        max_processing_attempts: z.number().int().min(1).max(100).default(3),
        retention_days: z.number().int().min(1).max(3650).default(30),
      })
      .prefault({}),
    commands: z
      .object({
        /**
         * Where a technician may have a device PUT its diagnostic bundle (the bundle command's upload_url):
         * exact origins such as "https://uploads.example.com". A device uploads from inside its own
         * network, so any other URL is refused rather than letting an API token aim devices at their LAN.
         * Empty (the default): bundles travel over MQTT to the fleet only.
         */
        bundle_upload_origins: z
          .array(z.url({ protocol: /^https?$/ }).refine((u) => new URL(u).origin === u.replace(/\/$/, ""), "must be an origin only (scheme, host and port), e.g. https://uploads.example.com"))
          .max(32)
          .default([]),
      })
      .strict()
      .prefault({}),
    tickets: TicketsConfig.prefault({}),
    notify: NotifyConfig.prefault({}),
    retention: z
      .object({
        /** Closed tickets and incidents older than this are purged. */
        closed_days: z.number().int().min(1).max(3650).default(180),
        /** Message ids are kept this long to drop QoS 1 redeliveries (a device spool replays at most days old). */
        dedup_days: z.number().int().min(1).max(90).default(7),
        /** Dead letters (failed webhooks, reports whose processing kept failing) are kept this long for an operator. */
        dead_letter_days: z.number().int().min(1).max(3650).default(30),
        /** The purge runs this often. */
        interval_ms: z.number().int().min(60_000).default(3_600_000),
      })
      .prefault({}),
    log: z.object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).prefault({}),
  })
  .strict();

export type FleetConfig = z.infer<typeof FleetConfigSchema>;
export type FleetConfigInput = z.input<typeof FleetConfigSchema>;
export { SEVERITIES };
