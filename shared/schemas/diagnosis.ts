import { z } from "zod";
import { FaultClassSchema as FaultClass } from "./faults.ts";
import { EpochMs, MessageId } from "../ids.ts";
import { envelope, Text } from "./common.ts";
import { ErrorInfo, ProbeRun } from "./probes.ts";

export const CheckStatus = z.enum(["ok", "fail", "warn", "skipped", "error"]);

/** One piece of evidence: which check, what it found, and the figures behind it. */
export const Evidence = z.object({
  check: Text(64),
  status: CheckStatus,
  detail: Text(500),
  figures: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,47}$/), z.number().nullable()).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

/** One step of the isolation procedure, in the order it ran: "the steps already tried and their results". */
export const Step = z.object({
  name: Text(64),
  status: CheckStatus,
  duration_ms: z.number().nonnegative(),
  detail: Text(500),
});
export type Step = z.infer<typeof Step>;

/** The verdict: where the fault is, why we think so, and what to do. */
export const Verdict = z.object({
  fault: FaultClass,
  summary: Text(500),
  error_code: ErrorInfo.nullable(),
  evidence: z.array(Evidence).max(40),
  actions: z.array(Text(300)).max(20),
});
export type Verdict = z.infer<typeof Verdict>;

export const DiagnosisTrigger = z.enum(["schedule", "manual", "command", "passive", "startup", "verification"]);

export const DiagnosisMessage = z.object({
  ...envelope,
  diagnosis_id: MessageId,
  trigger: DiagnosisTrigger,
  command_id: MessageId.nullable(),
  started_at: EpochMs,
  duration_ms: z.number().nonnegative(),
  verdict: Verdict,
  steps: z.array(Step).max(40),
  probes: z.array(ProbeRun).max(10),
  versions: z.object({ agent: Text(32), firmware: Text(64).nullable(), sdk: Text(64).nullable() }),
  app_id: Text(128).nullable(),
  scenario: Text(200).nullable(),
  /** Recent log lines around the fault, already redacted on the device. */
  log_excerpt: z.array(Text(500)).max(50),
});
export type DiagnosisMessage = z.infer<typeof DiagnosisMessage>;
