import { createSystemSource } from "./source.ts";
import type { SystemSource } from "./types.ts";

type RunResult = Awaited<ReturnType<SystemSource["run"]>>;
/** A stand-in for one program: returns its result for the given arguments. */
export type FakeProgram = (args: readonly string[]) => RunResult | Promise<RunResult>;

/** A command result as a program that ran and exited. */
export const ran = (stdout: string | Buffer, code = 0, stderr = ""): RunResult => ({ code, stdout: Buffer.isBuffer(stdout) ? stdout : Buffer.from(stdout), stderr });

/**
 * A SystemSource for tests: files from a fixture tree (or an in-memory map, which wins) and programs from
 * `programs`; any other program is absent, as on a device that lacks it. Records every command it ran.
 */
export function fixtureSource(opts: { root?: string; files?: Record<string, string>; programs?: Record<string, FakeProgram>; statfs?: SystemSource["statfs"] }): SystemSource & { calls: { cmd: string; args: readonly string[] }[] } {
  const disk = opts.root ? createSystemSource(opts.root) : null;
  const files = opts.files ?? {};
  const calls: { cmd: string; args: readonly string[] }[] = [];
  return {
    procRoot: opts.root ?? "/fixture",
    calls,
    async readFile(path) {
      if (path in files) return files[path]!;
      return disk ? disk.readFile(path) : null;
    },
    async readDir(path) {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const mem = Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split("/")[0]!);
      const fromDisk = disk ? await disk.readDir(path) : null;
      if (mem.length === 0 && fromDisk === null) return null;
      return [...new Set([...(fromDisk ?? []), ...mem])];
    },
    ...(opts.statfs ? { statfs: opts.statfs } : {}),
    async run(cmd, args) {
      calls.push({ cmd, args });
      const p = opts.programs?.[cmd];
      if (!p) return { code: null, stdout: Buffer.alloc(0), stderr: `${cmd}: not found`, absent: true };
      return p(args);
    },
  };
}
