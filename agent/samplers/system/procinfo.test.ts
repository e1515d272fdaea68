import { describe, expect, it } from "vitest";
import { fixtureSource } from "../fixtures.ts";
import { parseMeminfo, procSysInfo } from "./procinfo.ts";
import type { SysInfo } from "./system.ts";

const stat = (busy: number, idle: number) => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\nintr 1 2 3\n`;
const noFallback = (): Promise<SysInfo> => Promise.reject(new Error("the fallback must not load while /proc is readable"));

describe("system figures from /proc (no systeminformation, no shell)", () => {
  it("CPU load is the busy share of the ticks since the previous reading; cpus are counted", async () => {
    const files: Record<string, string> = { "/proc/stat": stat(100, 300), "/proc/loadavg": "0.52 0.40 0.30 1/200 999\n" };
    const info = procSysInfo(fixtureSource({ files }), noFallback);
    expect(await info.currentLoad()).toMatchObject({ currentLoad: 25, avgLoad: 0.52, cpus: [{}, {}] });
    files["/proc/stat"] = stat(190, 310); // +90 busy, +10 idle since the last sample
    expect((await info.currentLoad()).currentLoad).toBe(90);
  });

  it("memory is MemTotal and MemAvailable in bytes, with free + cached on kernels without MemAvailable", async () => {
    const info = procSysInfo(fixtureSource({ files: { "/proc/meminfo": "MemTotal:  1024000 kB\nMemFree:  100 kB\nMemAvailable:  512000 kB\n" } }), noFallback);
    expect(await info.mem()).toEqual({ total: 1024000 * 1024, available: 512000 * 1024 });
    expect(parseMeminfo("MemTotal: 2000 kB\nMemFree: 300 kB\nCached: 200 kB\n")).toEqual({ total: 2000 * 1024, available: 500 * 1024 });
  });

  it("temperature prefers the CPU's thermal zone and is null on a board without one", async () => {
    const files = {
      "/sys/class/thermal/thermal_zone0/type": "acpitz\n",
      "/sys/class/thermal/thermal_zone0/temp": "27800\n",
      "/sys/class/thermal/thermal_zone1/type": "cpu-thermal\n",
      "/sys/class/thermal/thermal_zone1/temp": "51234\n",
    };
    expect(await procSysInfo(fixtureSource({ files }), noFallback).cpuTemperature()).toEqual({ main: 51.2 });
    expect(await procSysInfo(fixtureSource({ files: {} }), noFallback).cpuTemperature()).toEqual({ main: null });
  });

  it("falls back to the library only where /proc cannot be read", async () => {
    let loaded = 0;
    const fake: SysInfo = { currentLoad: async () => ({ currentLoad: 7, avgLoad: 0, cpus: [] }), mem: async () => ({ total: 1, available: 1 }), cpuTemperature: async () => ({ main: null }), time: () => ({ uptime: 1 }) };
    const info = procSysInfo(fixtureSource({ files: {} }), async () => (loaded++, fake));
    expect((await info.currentLoad()).currentLoad).toBe(7);
    await info.mem();
    expect(loaded).toBe(1);
  });
});
