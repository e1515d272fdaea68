import { describe, expect, it } from "vitest";
import { SystemSample } from "../../../shared/schemas/samples/system.ts";
import { fixtureSource } from "../fixtures.ts";
import { SystemConfigSchema } from "./system.ts";
import { type SysInfo, SystemSampler } from "./system.ts";

const MB = 1024 * 1024;
const signal = new AbortController().signal;

function info(over: Partial<{ load: number; availMb: number; temp: number | null; fail: boolean }> = {}): SysInfo {
  return {
    currentLoad: async () => {
      if (over.fail) throw new Error("no /proc/stat");
      return { currentLoad: over.load ?? 12.34, avgLoad: 0.4, cpus: [{}, {}, {}, {}] };
    },
    mem: async () => {
      if (over.fail) throw new Error("no meminfo");
      return { total: 1024 * MB, available: (over.availMb ?? 512) * MB };
    },
    cpuTemperature: async () => ({ main: over.temp === undefined ? 48.2 : over.temp }),
    time: () => {
      if (over.fail) throw new Error("no uptime");
      return { uptime: 3600 };
    },
  };
}

/** A /proc tree holding the voice app under `pid` (or not at all). */
function procWithApp(pid: number | null) {
  const files: Record<string, string> = { "/proc/1/comm": "systemd\n", "/proc/1/cmdline": "/sbin/init\0" };
  if (pid !== null) {
    files[`/proc/${pid}/comm`] = "voice-assistan\n"; // comm is cut at 15 characters
    files[`/proc/${pid}/cmdline`] = "/opt/voice/voice-assistant\0--mic\0hw:1,0\0";
  }
  return files;
}

function sampler(files: Record<string, string>, si: SysInfo, cfg: Record<string, unknown> = {}, freeMb = 2048) {
  const source = fixtureSource({ files, statfs: async (p) => (p === "/var/lib/edge-agent" || p === "/var/lib/edge-agent/spool" ? { freeBytes: freeMb * MB, totalBytes: 8192 * MB } : null) });
  const s = new SystemSampler(source, si);
  s.init(SystemConfigSchema.parse({ app_process: "voice-assistant", ...cfg }));
  return { s, source };
}

describe("system sampler", () => {
  it("reports load, memory, disk at the spool, temperature, uptime and the app, schema-valid", async () => {
    const { s } = sampler(procWithApp(812), info());
    const out = SystemSample.parse(await s.sample(signal));
    expect(out).toMatchObject({
      verdict: "ok",
      cpu_load_pct: 12.3,
      cpu_count: 4,
      memory_used_mb: 512,
      memory_total_mb: 1024,
      disk_path: "/var/lib/edge-agent/spool",
      disk_free_mb: 2048,
      temperature_c: 48.2,
      uptime_s: 3600,
      app: { name: "voice-assistant", running: true, pid: 812, restarts: 0 },
    });
  });

  it("counts a restart when the app's pid changes between samples, and keeps the count", async () => {
    const files = procWithApp(812);
    const { s } = sampler(files, info());
    await s.sample(signal);
    for (const k of Object.keys(files)) if (k.startsWith("/proc/812/")) delete files[k];
    Object.assign(files, procWithApp(944));
    const restarted = await s.sample(signal);
    expect(restarted.verdict).toBe("app_restarting");
    expect(restarted.app).toMatchObject({ pid: 944, restarts: 1 });
    const steady = await s.sample(signal);
    expect(steady.verdict).toBe("ok");
    expect(steady.app!.restarts).toBe(1);
  });

  it("an app that is gone is app_down, and coming back under a new pid is one restart", async () => {
    const files = procWithApp(812);
    const { s } = sampler(files, info());
    await s.sample(signal);
    for (const k of Object.keys(files)) if (k.startsWith("/proc/812/")) delete files[k];
    const down = await s.sample(signal);
    expect(down.verdict).toBe("app_down");
    expect(down.app).toMatchObject({ running: false, pid: null });
    Object.assign(files, procWithApp(1200));
    expect((await s.sample(signal)).app!.restarts).toBe(1);
  });

  it("flags low disk at the spool, low memory, heat and CPU load against configured limits", async () => {
    expect((await sampler(procWithApp(1), info(), {}, 20).s.sample(signal)).verdict).toBe("disk_low");
    expect((await sampler(procWithApp(1), info({ availMb: 10 })).s.sample(signal)).verdict).toBe("memory_low");
    expect((await sampler(procWithApp(1), info({ temp: 91 })).s.sample(signal)).verdict).toBe("overheating");
    const busy = await sampler(procWithApp(1), info({ load: 97 })).s.sample(signal);
    expect(busy.verdict).toBe("cpu_high");
    expect(busy.reason).toBe("CPU load 97% is at or above 90%");
  });

  it("measures the nearest existing parent when the spool directory does not exist yet", async () => {
    const { s } = sampler({}, info(), { app_process: null, disk_path: "/var/lib/edge-agent/spool/q" });
    expect((await s.sample(signal)).disk_free_mb).toBe(2048);
  });

  it("a host where nothing can be read is unavailable with nulls, not a throw", async () => {
    const s = new SystemSampler(fixtureSource({}), info({ fail: true, temp: null }));
    s.init(SystemConfigSchema.parse({}));
    const out = SystemSample.parse(await s.sample(signal));
    expect(out).toMatchObject({ result: "unavailable", verdict: "unavailable", cpu_load_pct: null, memory_total_mb: null, disk_free_mb: null, app: null });
  });
});
