import { z } from "zod";
import { SEVERITIES, Severity } from "../../shared/index.ts";

const Port = z.number().int().min(0).max(65535);

const TlsFiles = z.object({
  port: Port.default(8883),
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
  /** CA that signs device certificates; set it with require_client_cert for mutual TLS. */
  ca_file: z.string().min(1).optional(),
  require_client_cert: z.boolean().default(false),
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
        max_payload_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(128 * 1024),
        max_topic_levels: z.number().int().min(4).max(100).default(8),
        publish_rate: z.object({ per_second: z.number().positive().default(20), burst: z.number().int().positive().default(60) }).prefault({}),
        connect_rate: z.object({ per_minute_per_address: z.number().int().positive().default(120) }).prefault({}),
        /** Bounds a write to a frozen subscriber so it cannot deadlock delivery for everyone (aedes #1032). */
        drain_timeout_ms: z.number().int().positive().default(30_000),
        allow_anonymous: z.boolean().default(false),
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
        z.object({ driver: z.literal("postgres"), url: z.string().min(1) }),
      ])
      .default({ driver: "sqlite", path: ".data/fleet.db" }),
    registry: z
      .object({
        history_per_device: z.number().int().min(10).max(100_000).default(500),
        retention_days: z.number().int().min(1).max(3650).default(30),
      })
      .prefault({}),
    tickets: z
      .object({
        default_severity: Severity.default("P2"),
      })
      .prefault({}),
    log: z.object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).prefault({}),
  })
  .strict();

export type FleetConfig = z.infer<typeof FleetConfigSchema>;
export type FleetConfigInput = z.input<typeof FleetConfigSchema>;
export { SEVERITIES };
