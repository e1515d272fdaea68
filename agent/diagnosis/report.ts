import { z } from "zod";
import { ErrorFamilySchema as ErrorFamily, FaultClassSchema as FaultClass } from "../../shared/schemas/faults.ts";
import { EpochMs } from "../../shared/ids.ts";
import { Text } from "../../shared/schemas/common.ts";
import { DiagnosisMessage } from "../../shared/schemas/diagnosis.ts";

/** One error the diagnosis met, with everything support needs to look it up. */
export const ReportedError = z.object({
  check: Text(64),
  code: Text(64),
  family: ErrorFamily.nullable(),
  fault: FaultClass,
  message: Text(1000),
  meaning: Text(300),
  http_status: z.number().int().nullable(),
  request_id: Text(128).nullable(),
});

/** The support checklist (DOMAIN.md "what a good fault report carries"). */
export const SupportChecklist = z.object({
  device_id: Text(64),
  app_id: Text(128).nullable(),
  time: z.string(),
  occurred_at: EpochMs,
  /** How often: passive-signal counts when the voice app reports, else this run only. */
  frequency: Text(300),
  error_codes: z.array(ReportedError).max(20),
  /** What the probes sent, secrets redacted. */
  request_parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  versions: z.object({ agent: Text(32), firmware: Text(64).nullable(), sdk: Text(64).nullable(), node: Text(32) }),
  steps_tried: z.array(Text(200)).max(40),
});
export type SupportChecklist = z.infer<typeof SupportChecklist>;

export const ProbeBudgetReport = z.object({
  day: z.string(),
  probes_today: z.number().int().nonnegative(),
  bytes_today: z.number().int().nonnegative(),
  max_probes_per_day: z.number().int().nonnegative(),
  max_bytes_per_day: z.number().int().nonnegative(),
  exhausted: z.boolean(),
});
export type ProbeBudgetReport = z.infer<typeof ProbeBudgetReport>;

/**
 * `edge-agent diagnose --json` output (a documented contract, docs/diagnosis.md): the diagnosis exactly as
 * the fleet stores it, the support checklist, and the probe budget. `exit_code` 0 = healthy, 1 = fault found.
 */
export const DiagnoseReport = z.object({
  report_version: z.literal(1),
  healthy: z.boolean(),
  exit_code: z.union([z.literal(0), z.literal(1)]),
  diagnosis: DiagnosisMessage,
  checklist: SupportChecklist,
  budget: ProbeBudgetReport.nullable(),
});
export type DiagnoseReport = z.infer<typeof DiagnoseReport>;
