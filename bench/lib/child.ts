import { fork, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const BROKER_CHILD = fileURLToPath(new URL("./broker-child.ts", import.meta.url));

/** A broker process driven over IPC (see broker-child.ts). */
export interface BrokerProcess {
  port: number;
  pid: number;
  call<T>(cmd: string, arg?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the fleet (or raw aedes) in a child process with `--expose-gc`, resolving once it listens. */
export function startBroker(mode: "fleet" | "raw" | "floor", config: unknown = {}): Promise<BrokerProcess> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each broker child there (open in Chrome DevTools)
  const prof = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${mode}-${Date.now()}.cpuprofile`] : [];
  const child: ChildProcess = fork(BROKER_CHILD, [mode, JSON.stringify(config)], { execArgv: ["--expose-gc", "--max-old-space-size=2048", ...prof], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`broker child exited with ${code} before it was ready`)));
    child.on("message", (m: { ready?: boolean; port?: number; id?: number; data?: unknown; error?: string }) => {
      if (m.ready) {
        resolve({
          port: m.port!,
          pid: child.pid!,
          call<T>(cmd: string, arg?: unknown) {
            const id = nextId++;
            return new Promise<T>((res, rej) => {
              waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, cmd, arg });
            });
          },
          async stop() {
            const exited = new Promise((r) => child.once("exit", r));
            child.send({ id: 0, cmd: "stop" });
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
          },
        });
        return;
      }
      const w = waiting.get(m.id ?? -1);
      if (!w) return;
      waiting.delete(m.id!);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.data);
    });
  });
}

/** CPU time (user + system) of a process in milliseconds, from /proc (Linux). */
export function cpuMsOf(pid: number): number {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** User + system CPU of one /proc/<pid>/stat line, in milliseconds. */
function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11] = utime, fields[12] = stime, in clock ticks (100 Hz on Linux)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time of every process whose command is `comm` (e.g. "postgres": the server and its backends), in milliseconds. */
export function cpuMsOfCommand(comm: string): number {
  let ms = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === comm) ms += cpuMsOfStat(stat);
    } catch {
      /* the process ended while we listed them */
    }
  }
  return ms;
}

/** Resident set size of a process in bytes, from /proc. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
