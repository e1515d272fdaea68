import pino from "pino";
import { PINO_REDACT_PATHS } from "../../shared/redact.ts";
import { createSamplers, createSystemSource, type RunOutcome, SAMPLER_NAMES, type SamplersConfig, SamplersConfigSchema } from "../samplers/index.ts";

/** Where the output goes; tests pass their own. */
export interface SampleIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: SampleIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/**
 * `edge-agent sample [--json] [--only audio,network,system]`: runs the samplers once and prints their
 * results (a table, or JSON). Absent hardware is a verdict, not a failure: exit 0; exit 2 on a bad --only.
 */
export async function sampleCommand(config: SamplersConfig, opts: { json: boolean; only?: string[] }, io: SampleIo = consoleIo): Promise<number> {
  const unknown = (opts.only ?? []).filter((n) => !(SAMPLER_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    io.err(`unknown sampler '${unknown.join("', '")}' in --only; choose from ${SAMPLER_NAMES.join(", ")}`);
    return 2;
  }
  const parsed = SamplersConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    io.err(`invalid samplers config: ${parsed.error.issues.map((i) => `samplers.${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return 2;
  }
  // warnings go to stderr so that --json output stays parseable
  const log = pino({ name: "edge-agent", level: "error", redact: { paths: PINO_REDACT_PATHS, censor: "[redacted]" } }, pino.destination(2));
  const { runner } = createSamplers(parsed.data, createSystemSource("/"), log);
  const outcomes = await runner.runOnce(opts.only);
  if (opts.json) {
    const body = Object.fromEntries(outcomes.map((o) => [o.name, o.status === "ok" ? o.result : { status: o.status, error: o.error ?? null }]));
    const ran = new Set(outcomes.map((o) => o.name));
    io.out(JSON.stringify({ samples: body, samplers: runner.health().filter((h) => ran.has(h.name)) }, null, 2));
  } else {
    for (const line of table(outcomes)) io.out(line);
  }
  return 0;
}

/** One row per sampler and per sub-check: name, verdict, reason. */
function table(outcomes: readonly RunOutcome[]): string[] {
  const rows: [string, string, string][] = [];
  for (const o of outcomes) {
    if (o.status !== "ok") {
      rows.push([o.name, o.status, o.error ?? ""]);
      continue;
    }
    const r = o.result as { verdict: string; reason: string; signal?: { verdict: string; reason: string } | null; streams?: { card: number; device: number; sub: number; direction: string; state: string; verdict: string }[]; targets?: { name: string; result: string; connect_median_ms: number | null; loss_pct: number }[]; dns?: { host: string; result: string; duration_ms: number | null }[]; icmp?: { host: string; result: string } | null; voice?: { mos: number; r_factor: number; rpm: number | null } | null };
    rows.push([o.name, r.verdict, r.reason]);
    for (const s of r.streams ?? []) rows.push([`  stream hw:${s.card},${s.device}.${s.sub} ${s.direction}`, s.verdict, s.state]);
    if (r.signal) rows.push(["  signal", r.signal.verdict, r.signal.reason]);
    for (const d of r.dns ?? []) rows.push([`  dns ${d.host}`, d.result, d.duration_ms === null ? "" : `${d.duration_ms} ms`]);
    for (const t of r.targets ?? []) rows.push([`  target ${t.name}`, t.result, `connect median ${t.connect_median_ms ?? "-"} ms, loss ${t.loss_pct}%`]);
    if (r.icmp) rows.push([`  ping ${r.icmp.host}`, r.icmp.result, ""]);
    if (r.voice) rows.push(["  voice", "", `R ${r.voice.r_factor}, MOS ${r.voice.mos}, RPM ${r.voice.rpm ?? "-"}`]);
  }
  const w0 = Math.max(7, ...rows.map((r) => r[0].length));
  const w1 = Math.max(7, ...rows.map((r) => r[1].length));
  return [`${"SAMPLER".padEnd(w0)}  ${"VERDICT".padEnd(w1)}  REASON`, ...rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`)];
}
