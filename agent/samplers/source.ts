import { execFile } from "node:child_process";
import { readdir, readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { SystemSource } from "./types.ts";

/** Output beyond this is cut: a sampler reads status text, never bulk data (a 1 s 16 kHz capture is 32 KB). */
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The real SystemSource: files under `procRoot` (so a fixture tree can stand in for "/"), commands through
 * `execFile` (never a shell) with a timeout and the caller's AbortSignal.
 */
export function createSystemSource(procRoot = "/"): SystemSource {
  const resolve = (p: string) => join(procRoot, p);
  return {
    procRoot,
    async readFile(path) {
      try {
        return await readFile(resolve(path), "utf8");
      } catch {
        return null;
      }
    },
    async readDir(path) {
      try {
        return await readdir(resolve(path));
      } catch {
        return null;
      }
    },
    async statfs(path) {
      try {
        const s = await statfs(path);
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch {
        return null;
      }
    },
    run(cmd, args, opts) {
      return new Promise((done) => {
        execFile(
          cmd,
          [...args],
          { timeout: opts.timeoutMs, signal: opts.signal, maxBuffer: opts.maxBytes ?? DEFAULT_MAX_BYTES, encoding: "buffer", windowsHide: true },
          (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null }) | null;
            const stderrText = Buffer.isBuffer(stderr) ? stderr.toString("utf8") : String(stderr ?? "");
            if (e?.code === "ENOENT") return done({ code: null, stdout: Buffer.alloc(0), stderr: `${cmd}: not found`, absent: true });
            const timedOut = Boolean(e?.killed) || e?.name === "AbortError";
            const code = e ? (typeof e.code === "number" ? e.code : null) : 0;
            done({ code, stdout: Buffer.isBuffer(stdout) ? stdout : Buffer.from(stdout ?? ""), stderr: stderrText, ...(timedOut ? { timedOut } : {}) });
          },
        );
      });
    },
  };
}
