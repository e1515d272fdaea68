import type { SystemSource } from "./types.ts";

/** One running process as /proc shows it. */
export interface ProcInfo {
  pid: number;
  comm: string;
  /** argv[0]'s basename, for names longer than comm's 15 characters. */
  exe: string;
}

/** Lists processes through the source (/proc/<pid>/comm and cmdline), so fixtures can stand in for a device. */
export async function listProcesses(source: SystemSource): Promise<ProcInfo[] | null> {
  const entries = await source.readDir("/proc");
  if (!entries) return null;
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  const out: ProcInfo[] = [];
  for (const pid of pids) {
    const comm = await source.readFile(`/proc/${pid}/comm`);
    if (comm === null) continue; // exited between readdir and read
    const cmdline = (await source.readFile(`/proc/${pid}/cmdline`)) ?? "";
    const argv0 = cmdline.split("\0")[0] ?? "";
    out.push({ pid, comm: comm.trim(), exe: argv0.split("/").pop() ?? "" });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Processes whose comm or argv[0] basename equals `name` (comm is cut at 15 characters by the kernel). */
export function matchProcess(procs: readonly ProcInfo[], name: string): ProcInfo[] {
  const short = name.slice(0, 15);
  return procs.filter((p) => p.exe === name || p.comm === name || (name.length > 15 && p.comm === short));
}
