import { z } from "zod";

/** A probe target: `https://host[:port]/path` (TCP + TLS + HTTP TTFB), `http://…` (TCP + TTFB) or `tcp://host:port` (connect only). */
export const TargetSchema = z.object({
  name: z.string().min(1).max(64),
  url: z.string().refine((u) => parseTarget(u) !== null, { message: "must be https://host[:port]/path, http://host[:port]/path or tcp://host:port" }),
  /** `no_verify` measures a handshake with a certificate we cannot check (a lab server); verify otherwise. */
  tls: z.enum(["verify", "no_verify"]).default("verify"),
});
export type TargetConfig = z.infer<typeof TargetSchema>;

/** Network sampler config; `{}` is valid (route, link and counters only; add the AI service under `targets`). */
export const NetworkConfigSchema = z.object({
  /** Extra names to resolve; the targets' host names are always resolved too. */
  dns_hosts: z.array(z.string().min(1).max(253)).max(8).default([]),
  /** The AI service endpoint first, then reference targets. */
  targets: z.array(TargetSchema).max(16).default([]),
  attempts: z.number().int().min(1).max(50).default(5),
  attempt_timeout_ms: z.number().int().positive().default(3000),
  dns_timeout_ms: z.number().int().positive().default(2000),
  icmp: z
    .object({
      /** `gateway` pings the default gateway (local network), `host` pings `host`, `off` skips. */
      mode: z.enum(["off", "gateway", "host"]).default("gateway"),
      host: z.string().min(1).max(253).nullable().default(null),
      count: z.number().int().min(1).max(50).default(5),
      program: z.string().min(1).default("ping"),
    })
    .prefault({}),
  voice: z
    .object({
      codec_ie: z.number().min(0).max(95).default(0),
      codec_bpl: z.number().positive().default(25.1),
      codec_delay_ms: z.number().min(0).default(20),
      jitter_buffer_factor: z.number().min(0).default(2),
    })
    .prefault({}),
  thresholds: z
    .object({
      loss_pct_max: z.number().min(0).max(100).default(5),
      rtt_ms_max: z.number().positive().default(300),
      jitter_ms_max: z.number().positive().default(30),
      wifi_signal_min_dbm: z.number().default(-75),
    })
    .prefault({}),
});
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;

/** A target URL taken apart; null when it is not one of the accepted forms. */
export interface ParsedTarget {
  kind: "tcp" | "http" | "https";
  host: string;
  port: number;
  path: string | null;
}

/** Parses a target URL; IPv6 literals keep their brackets off in `host`. */
export function parseTarget(url: string): ParsedTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const kind = u.protocol.replace(/:$/, "");
  if (kind !== "tcp" && kind !== "http" && kind !== "https") return null;
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!host) return null;
  const port = u.port ? Number(u.port) : kind === "https" ? 443 : kind === "http" ? 80 : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { kind, host, port, path: kind === "tcp" ? null : `${u.pathname || "/"}${u.search}` };
}
