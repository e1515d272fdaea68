import { z } from "zod";
import { DeviceId, Label, Labels } from "../../shared/index.ts";

const Interval = (def: number) => z.number().int().min(10).max(86_400).default(def);

/** Agent configuration core; each unit (samplers, cloud probes) mounts its own schema under its key. */
export const AgentCoreConfigSchema = z.object({
  device: z
    .object({
      /** Taken from the credentials file when absent. */
      id: DeviceId.optional(),
      firmware_version: z.string().max(64).nullable().default(null),
      model: Label.nullable().default(null),
      region: Label.nullable().default(null),
      app_id: z.string().max(128).nullable().default(null),
      sdk_version: z.string().max(64).nullable().default(null),
      labels: Labels.default({}),
    })
    .prefault({}),
  mqtt: z
    .object({
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, "must be an mqtt://, mqtts://, ws:// or wss:// URL").default("mqtt://127.0.0.1:1883"),
      username: z.string().optional(),
      password: z.string().optional(),
      /** The file written by `edge-fleet devices add --out`: device id, URL, username and secret. */
      credentials_file: z.string().optional(),
      ca_file: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
      keepalive_s: z.number().int().min(5).max(3600).default(30),
      connect_timeout_ms: z.number().int().min(500).max(120_000).default(10_000),
      reconnect: z
        .object({ initial_ms: z.number().int().min(50).default(1000), max_ms: z.number().int().min(100).default(120_000), first_connect_jitter_ms: z.number().int().min(0).default(5000) })
        .prefault({}),
    })
    .prefault({}),
  cadence: z
    .object({
      /** Telemetry carries the samplers' latest results; each sampler has its own schedule (samplers.run). */
      telemetry_s: Interval(60),
      // the diagnosis (with its billable AI probes) runs every cloud.interval_s: one knob, not two
    })
    .prefault({}),
  spool: z
    .object({
      dir: z.string().default("/var/lib/edge-agent/spool"),
      max_messages: z.number().int().min(10).max(1_000_000).default(10_000),
      max_bytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
      memory_fallback_messages: z.number().int().min(10).default(500),
    })
    .prefault({}),
  log: z.object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).prefault({}),
});

export type AgentCoreConfig = z.infer<typeof AgentCoreConfigSchema>;
