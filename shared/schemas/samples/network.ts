import { z } from "zod";
import { NullableNum, ProbeResult, Text } from "../common.ts";

export const NetworkVerdict = z.enum(["ok", "no_route", "link_down", "dns_failure", "high_loss", "high_latency", "high_jitter", "weak_wifi", "unreachable", "unavailable"]);
export type NetworkVerdict = z.infer<typeof NetworkVerdict>;

export const DnsResult = z.object({
  host: Text(253),
  result: ProbeResult,
  duration_ms: NullableNum,
  addresses: z.number().int().nonnegative(),
  error: Text(200).nullable(),
});

export const TargetResult = z.object({
  name: Text(64),
  host: Text(253),
  port: z.number().int().min(0).max(65535),
  result: ProbeResult,
  attempts: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  loss_pct: z.number().min(0).max(100),
  connect_median_ms: NullableNum,
  jitter_ms: NullableNum,
  tls_handshake_ms: NullableNum,
  ttfb_ms: NullableNum,
  error: Text(200).nullable(),
});

export const NetworkSample = z.object({
  result: ProbeResult,
  verdict: NetworkVerdict,
  reason: Text(),
  interface: z
    .object({
      name: Text(32),
      gateway: Text(64).nullable(),
      link: z.enum(["up", "down", "unknown"]),
      rx_errors: z.number().int().nonnegative().nullable(),
      tx_errors: z.number().int().nonnegative().nullable(),
      rx_dropped: z.number().int().nonnegative().nullable(),
      tx_dropped: z.number().int().nonnegative().nullable(),
      wifi: z.object({ signal_dbm: NullableNum, link_quality: NullableNum }).nullable(),
    })
    .nullable(),
  dns: z.array(DnsResult).max(16),
  targets: z.array(TargetResult).max(16),
  icmp: z
    .object({ host: Text(253), result: ProbeResult, rtt_median_ms: NullableNum, loss_pct: NullableNum, jitter_ms: NullableNum })
    .nullable(),
  /** ITU-T G.107 simplified E-model and an RPM figure; null when nothing could be measured. */
  voice: z.object({ r_factor: z.number(), mos: z.number(), rpm: NullableNum }).nullable(),
});
export type NetworkSample = z.infer<typeof NetworkSample>;
