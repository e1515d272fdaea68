import { createHash } from "node:crypto";
import { arch, freemem, loadavg, platform, release, totalmem, uptime } from "node:os";
import { gzipSync } from "node:zlib";
import { redact } from "../../shared/index.ts";
import { AGENT_VERSION } from "../version.ts";

/** What goes into a support bundle; the caller gathers it, the builder redacts and packs it. */
export interface BundleSources {
  deviceId: string;
  config: unknown;
  logs: string[];
  telemetry: unknown[];
  diagnoses: unknown[];
  /** Extra runtime facts (spool status, bytes today, firmware...). */
  runtime?: Record<string, unknown>;
  /** Secret values to mask wherever they appear (the MQTT password, API keys). */
  knownSecrets?: readonly string[];
  now: number;
}

export interface BuiltBundle {
  gzip: Buffer;
  sha256: string;
  /** What was left out to fit max_bytes (each halving of logs and samples). */
  trimmed: number;
}

function system() {
  return { platform: platform(), release: release(), arch: arch(), uptime_s: Math.round(uptime()), memory_total_mb: Math.round(totalmem() / 1048576), memory_free_mb: Math.round(freemem() / 1048576), load: loadavg(), node: process.version };
}

/**
 * Builds the support bundle: redacted config, recent logs, recent samples and diagnoses, system and version
 * info, as gzip of JSON. Past `maxBytes` the oldest logs and reports are halved until it fits.
 */
export function buildBundle(s: BundleSources, maxBytes: number): BuiltBundle | { error: string } {
  let logs = s.logs;
  let telemetry = s.telemetry;
  let diagnoses = s.diagnoses;
  for (let trimmed = 0; trimmed < 20; trimmed++) {
    const doc = redact(
      {
        bundle_version: 1,
        device_id: s.deviceId,
        created_at: new Date(s.now).toISOString(),
        versions: { agent: AGENT_VERSION, node: process.version },
        system: system(),
        runtime: s.runtime ?? {},
        config: s.config,
        logs,
        telemetry,
        diagnoses,
      },
      s.knownSecrets ?? [],
    );
    const gzip = gzipSync(Buffer.from(JSON.stringify(doc)));
    if (gzip.length <= maxBytes) return { gzip, sha256: createHash("sha256").update(gzip).digest("hex"), trimmed };
    if (!logs.length && !telemetry.length && !diagnoses.length) break;
    logs = logs.slice(Math.floor(logs.length / 2));
    telemetry = telemetry.slice(Math.ceil(telemetry.length / 2));
    diagnoses = diagnoses.slice(Math.ceil(diagnoses.length / 2));
  }
  return { error: `the bundle does not fit in ${maxBytes} bytes even without logs and reports; raise max_bytes` };
}
