import type { z } from "zod";

/**
 * One sampler (the telegraf input model). `init` validates its config and does no I/O; `sample`
 * returns data — a failed probe is a result (`result: "timeout" | "absent" | ...`), never a throw.
 * A throw means the sampler itself is broken; the runner isolates it and counts it.
 */
export interface Sampler<Name extends string = string, Out = unknown, Cfg = unknown> {
  readonly name: Name;
  readonly configSchema: z.ZodType<Cfg>;
  init(config: Cfg): void;
  sample(signal: AbortSignal): Promise<Out>;
}

/** How a sampler reaches the system: every file read and command goes through here, so tests feed fixtures. */
export interface SystemSource {
  /** Root for /proc and /sys paths ("/" on a device, a fixture tree in tests). */
  readonly procRoot: string;
  /** Reads a system path such as "/proc/asound/cards" (resolved under procRoot); null when missing or unreadable. */
  readFile(path: string): Promise<string | null>;
  /** Lists a system directory (resolved under procRoot); null when missing or unreadable. */
  readDir(path: string): Promise<string[] | null>;
  /** Free and total bytes of the filesystem holding `path` (a real path, not under procRoot); null when unknown. */
  statfs?(path: string): Promise<{ freeBytes: number; totalBytes: number } | null>;
  /** Runs a program (never a shell) with a timeout; a missing program resolves with code null and `absent: true`. */
  run(cmd: string, args: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number }): Promise<{ code: number | null; stdout: Buffer; stderr: string; absent?: boolean; timedOut?: boolean }>;
}
