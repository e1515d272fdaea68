import type { CadenceKind, CHECKS, DiagnosisMessage, TelemetryMessage } from "../../shared/index.ts";
import type { z } from "zod";
import { AGENT_VERSION } from "../version.ts";
import type { CommandActions, CommandArgs, CommandContext } from "./handler.ts";

/** The collaborators the standard commands call; the composer (agent/runtime/compose.ts) injects them. */
export interface CommandDeps {
  /** Runs a diagnosis with trigger "command" and this command id, and queues it (Agent.runDiagnosis). */
  diagnose?: (commandId: string, checks: readonly (typeof CHECKS)[number][] | undefined, signal: AbortSignal) => Promise<DiagnosisMessage>;
  /** Runs the named probes now; returns their results (the probe runs). */
  probeNow?: (probes: CommandArgs<"probe-now">["probes"], signal: AbortSignal) => Promise<unknown>;
  /** Collects and queues one telemetry message now (Agent.reportTelemetry). */
  sampleNow?: (signal: AbortSignal) => Promise<TelemetryMessage>;
  /** Changes one cadence at run time; false when this device does not schedule that kind. */
  setCadence?: (kind: z.infer<typeof CadenceKind>, intervalS: number) => boolean;
  /** Builds and delivers a support bundle (agent/bundle). */
  bundle?: (args: CommandArgs<"bundle">, ctx: CommandContext) => Promise<unknown>;
  now?: () => number;
}

/** The allowlisted commands wired to their collaborators; a missing collaborator leaves its command refused. */
export function standardActions(d: CommandDeps): CommandActions {
  const now = d.now ?? Date.now;
  const a: CommandActions = {
    ping: async () => ({ pong: true, ts: now(), agent_version: AGENT_VERSION }),
  };
  if (d.diagnose) {
    const diagnose = d.diagnose;
    a.diagnose = async (args, ctx) => {
      ctx.progress("diagnosis", 0, 1, args.checks ? `checks: ${args.checks.join(", ")}` : "all checks");
      const m = await diagnose(ctx.id, args.checks, ctx.signal);
      ctx.progress("diagnosis", 1, 1, m.verdict.fault);
      // the full diagnosis travels on its own topic with command_id = this id; the response points at it
      return { diagnosis_id: m.diagnosis_id, msg_id: m.msg_id, fault: m.verdict.fault, summary: m.verdict.summary };
    };
  }
  if (d.probeNow) {
    const probeNow = d.probeNow;
    a["probe-now"] = async (args, ctx) => ({ probes: await probeNow(args.probes, ctx.signal) });
  }
  if (d.sampleNow) {
    const sampleNow = d.sampleNow;
    a["sample-now"] = async (args, ctx) => {
      const t = await sampleNow(ctx.signal);
      const names = args.only ?? (Object.keys(t.samples) as (keyof TelemetryMessage["samples"])[]);
      return { msg_id: t.msg_id, seq: t.seq, samples: Object.fromEntries(names.filter((n) => t.samples[n]).map((n) => [n, t.samples[n]])) };
    };
  }
  if (d.setCadence) {
    const setCadence = d.setCadence;
    a["set-cadence"] = async (args) => {
      if (!setCadence(args.kind, args.interval_s)) throw new Error(`this device does not schedule '${args.kind}'`);
      return { kind: args.kind, interval_s: args.interval_s };
    };
  }
  if (d.bundle) a.bundle = d.bundle;
  return a;
}
