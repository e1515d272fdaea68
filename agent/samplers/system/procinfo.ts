import { uptime } from "node:os";
import type { SystemSource } from "../types.ts";
import type { SysInfo } from "./system.ts";
import { loadSystemInformation } from "./si-fallback.ts";

/** CPU time counters of /proc/stat's aggregate line, in clock ticks. */
interface CpuTicks {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line and the number of `cpuN` lines of /proc/stat. */
export function parseProcStat(text: string): { ticks: CpuTicks; cpus: number } | null {
  let ticks: CpuTicks | null = null;
  let cpus = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu ")) {
      // user nice system idle iowait irq softirq steal (guest is already inside user)
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      ticks = { busy, total: busy + idle + iowait };
    } else if (/^cpu\d+ /.test(line)) cpus++;
  }
  return ticks && Number.isFinite(ticks.total) ? { ticks, cpus } : null;
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): { total: number; available: number } | null {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN) * 1024;
  const total = kb("MemTotal");
  // kernels before 3.14 have no MemAvailable: free + page cache is the usual estimate
  const available = Number.isFinite(kb("MemAvailable")) ? kb("MemAvailable") : kb("MemFree") + kb("Cached");
  return Number.isFinite(total) ? { total, available } : null;
}

/**
 * The system figures straight from /proc and /sys through the sampler's SystemSource.
 *
 * Why not systeminformation on Linux (issue #9): each of its currentLoad, cpuTemperature and time calls runs
 * a shell synchronously (`cat /proc/stat | grep cpu`, `cat …thermal_zone*`, `date && date && ls`), three
 * forks of the agent every 30 s that block its event loop, and time() starts ICU (≈6 MB of RSS). It stays
 * the fallback, loaded only where /proc/stat cannot be read (a developer's macOS).
 */
export function procSysInfo(source: SystemSource, fallback: () => Promise<SysInfo> = loadSystemInformation): SysInfo {
  let last: CpuTicks | null = null;
  let si: Promise<SysInfo> | null = null;
  const other = () => (si ??= fallback());
  return {
    async currentLoad() {
      const stat = await source.readFile("/proc/stat");
      const parsed = stat === null ? null : parseProcStat(stat);
      if (!parsed) return (await other()).currentLoad();
      const loadavg = Number((await source.readFile("/proc/loadavg"))?.split(" ")[0]);
      // since the previous call, or since boot on the first one (as systeminformation does)
      const prev = last ?? { busy: 0, total: 0 };
      last = parsed.ticks;
      const dTotal = parsed.ticks.total - prev.total;
      const currentLoad = dTotal > 0 ? ((parsed.ticks.busy - prev.busy) / dTotal) * 100 : 0;
      return { currentLoad, avgLoad: loadavg, cpus: new Array<unknown>(parsed.cpus).fill({}) };
    },
    async mem() {
      const text = await source.readFile("/proc/meminfo");
      const parsed = text === null ? null : parseMeminfo(text);
      return parsed ?? (await other()).mem();
    },
    async cpuTemperature() {
      const zones = (await source.readDir("/sys/class/thermal"))?.filter((z) => z.startsWith("thermal_zone")).sort() ?? [];
      let first: number | null = null;
      for (const z of zones) {
        const [type, temp] = await Promise.all([source.readFile(`/sys/class/thermal/${z}/type`), source.readFile(`/sys/class/thermal/${z}/temp`)]);
        const c = Number(temp?.trim()) / 1000;
        if (temp === null || !Number.isFinite(c)) continue;
        // the CPU's own zone when the board names one (cpu-thermal, x86_pkg_temp, soc_thermal), else the first
        if (/cpu|x86_pkg|soc/i.test(type ?? "")) return { main: Math.round(c * 10) / 10 };
        first ??= Math.round(c * 10) / 10;
      }
      return { main: first };
    },
    time() {
      return { uptime: uptime() };
    },
  };
}
