import { dirname } from "node:path";
import { z } from "zod";
import type { SystemSample } from "../../../shared/schemas/samples/system.ts";
import { listProcesses, matchProcess } from "../proc.ts";
import { procSysInfo } from "./procinfo.ts";
import type { Sampler, SystemSource } from "../types.ts";

/** Device-resource thresholds and where the spool lives; every number is configuration. */
export const SystemConfigSchema = z.object({
  /** The filesystem whose free space matters: where the agent's spool lives (the nearest existing parent is measured). */
  disk_path: z.string().min(1).default("/var/lib/edge-agent/spool"),
  /** Process name of the device's voice application (comm or argv[0] basename); null = not watched. */
  app_process: z.string().min(1).max(64).nullable().default(null),
  cpu_high_pct: z.number().min(1).max(100).default(90),
  memory_available_min_mb: z.number().nonnegative().default(64),
  disk_free_min_mb: z.number().nonnegative().default(100),
  temperature_max_c: z.number().default(80),
});
export type SystemConfig = z.infer<typeof SystemConfigSchema>;

/** The system figures the sampler uses (systeminformation's shape); injectable so tests do not depend on this host. */
export interface SysInfo {
  currentLoad(): Promise<{ currentLoad: number; avgLoad: number; cpus: unknown[] }>;
  mem(): Promise<{ total: number; available: number }>;
  cpuTemperature(): Promise<{ main: number | null }>;
  time(): { uptime: number };
}

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;
const finite = (n: unknown): number | null => (typeof n === "number" && Number.isFinite(n) ? n : null);

/** CPU load, memory, disk free at the spool, temperature, uptime and the voice app's restarts. */
export class SystemSampler implements Sampler<"system", SystemSample, SystemConfig> {
  readonly name = "system" as const;
  readonly configSchema = SystemConfigSchema;
  readonly #source: SystemSource;
  readonly #info: SysInfo;
  #cfg: SystemConfig = SystemConfigSchema.parse({});
  #lastPid: number | null = null;
  #restarts = 0;

  constructor(source: SystemSource, info?: SysInfo) {
    this.#source = source;
    this.#info = info ?? procSysInfo(source);
  }

  init(config: SystemConfig): void {
    this.#cfg = this.configSchema.parse(config);
  }

  async sample(_signal: AbortSignal): Promise<SystemSample> {
    const cfg = this.#cfg;
    const [load, mem, temp, disk, app] = await Promise.all([
      this.#info.currentLoad().catch(() => null),
      this.#info.mem().catch(() => null),
      this.#info.cpuTemperature().catch(() => null),
      this.#disk(cfg.disk_path),
      this.#app(cfg.app_process),
    ]);
    const uptime = readUptime(this.#info);
    const memTotal = mem ? finite(mem.total) : null;
    const memAvail = mem ? finite(mem.available) : null;
    const out: SystemSample = {
      result: "ok",
      verdict: "ok",
      reason: "",
      cpu_load_pct: load ? nullRound(load.currentLoad) : null,
      load_avg_1m: load ? nullRound(load.avgLoad) : null,
      cpu_count: load && Array.isArray(load.cpus) && load.cpus.length > 0 ? load.cpus.length : null,
      memory_used_mb: memTotal !== null && memAvail !== null ? round1((memTotal - memAvail) / MB) : null,
      memory_total_mb: memTotal !== null ? round1(memTotal / MB) : null,
      disk_path: cfg.disk_path,
      disk_free_mb: disk ? round1(disk.freeBytes / MB) : null,
      disk_total_mb: disk ? round1(disk.totalBytes / MB) : null,
      temperature_c: temp ? nullRound(temp.main) : null,
      uptime_s: uptime,
      app: app?.info ?? null,
    };
    const memAvailMb = memAvail !== null ? memAvail / MB : null;
    const verdict = judge(out, cfg, memAvailMb, app?.restartedNow ?? false);
    out.verdict = verdict.verdict;
    out.reason = verdict.reason;
    if (verdict.verdict === "unavailable") out.result = "unavailable";
    return out;
  }

  /** statfs of the spool path, or of its nearest existing parent (the spool may not exist before the first write). */
  async #disk(path: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
    if (!this.#source.statfs) return null;
    let p = path;
    for (let i = 0; i < 32; i++) {
      const r = await this.#source.statfs(p);
      if (r) return r;
      const up = dirname(p);
      if (up === p) return null;
      p = up;
    }
    return null;
  }

  /** Finds the app's pid; a pid different from the last one seen is one restart (the kernel keeps no restart counter). */
  async #app(name: string | null): Promise<{ info: NonNullable<SystemSample["app"]>; restartedNow: boolean } | null> {
    if (!name) return null;
    const procs = await listProcesses(this.#source);
    if (!procs) return null;
    // the lowest pid is the parent when the app forks workers
    const pid = matchProcess(procs, name)[0]?.pid ?? null;
    let restartedNow = false;
    if (pid !== null && this.#lastPid !== null && pid !== this.#lastPid) {
      this.#restarts++;
      restartedNow = true;
    }
    if (pid !== null) this.#lastPid = pid;
    return { info: { name, running: pid !== null, pid, restarts: this.#restarts }, restartedNow };
  }
}

function readUptime(info: SysInfo): number | null {
  try {
    return finite(info.time().uptime);
  } catch {
    return null;
  }
}

function nullRound(n: number | null | undefined): number | null {
  const v = finite(n);
  return v === null ? null : round1(v);
}

function judge(s: SystemSample, cfg: SystemConfig, memAvailMb: number | null, restartedNow: boolean): { verdict: SystemSample["verdict"]; reason: string } {
  if (s.app && !s.app.running) return { verdict: "app_down", reason: `voice app process "${s.app.name}" is not running` };
  if (restartedNow) return { verdict: "app_restarting", reason: `voice app "${s.app?.name}" restarted (new pid ${s.app?.pid}); ${s.app?.restarts} restart(s) since the agent started` };
  if (s.temperature_c !== null && s.temperature_c >= cfg.temperature_max_c) return { verdict: "overheating", reason: `temperature ${s.temperature_c} °C is at or above ${cfg.temperature_max_c} °C` };
  if (s.disk_free_mb !== null && s.disk_free_mb < cfg.disk_free_min_mb) return { verdict: "disk_low", reason: `${s.disk_free_mb} MB free at ${s.disk_path}, below ${cfg.disk_free_min_mb} MB` };
  if (memAvailMb !== null && memAvailMb < cfg.memory_available_min_mb) return { verdict: "memory_low", reason: `${round1(memAvailMb)} MB memory available, below ${cfg.memory_available_min_mb} MB` };
  if (s.cpu_load_pct !== null && s.cpu_load_pct >= cfg.cpu_high_pct) return { verdict: "cpu_high", reason: `CPU load ${s.cpu_load_pct}% is at or above ${cfg.cpu_high_pct}%` };
  if (s.cpu_load_pct === null && s.memory_total_mb === null && s.disk_free_mb === null && s.uptime_s === null) {
    return { verdict: "unavailable", reason: "no resource figure could be read on this system" };
  }
  const missing = [s.temperature_c === null ? "temperature" : null, s.disk_free_mb === null ? "disk" : null].filter(Boolean);
  return { verdict: "ok", reason: missing.length ? `resources within limits (${missing.join(", ")} not available here)` : "resources within limits" };
}
