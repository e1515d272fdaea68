import { z } from "zod";
import { NullableNum, ProbeResult, Text } from "../common.ts";

export const SystemVerdict = z.enum(["ok", "cpu_high", "memory_low", "disk_low", "overheating", "app_restarting", "app_down", "unavailable"]);

/** Device resources: the evidence for `device_resources` faults. */
export const SystemSample = z.object({
  result: ProbeResult,
  verdict: SystemVerdict,
  reason: Text(),
  cpu_load_pct: NullableNum,
  load_avg_1m: NullableNum,
  cpu_count: z.number().int().nonnegative().nullable(),
  memory_used_mb: NullableNum,
  memory_total_mb: NullableNum,
  disk_path: Text(256).nullable(),
  disk_free_mb: NullableNum,
  disk_total_mb: NullableNum,
  temperature_c: NullableNum,
  uptime_s: NullableNum,
  app: z
    .object({
      name: Text(64),
      running: z.boolean(),
      pid: z.number().int().nullable(),
      restarts: z.number().int().nonnegative(),
    })
    .nullable(),
});
export type SystemSample = z.infer<typeof SystemSample>;
