import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** The fuse Node's SEA support looks for; postject flips it when it injects the blob. */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * Turns a CommonJS bundle into a single executable: writes the SEA blob with `blobWriter` (a command
 * running a Node whose version and pointer width match the base's: see blobWriterFor), copies the official base binary and injects the blob
 * with postject. The code cache and snapshot stay off: both are CPU-specific and the blob is written on
 * the build host for another architecture.
 */
export function makeSea(opts: { bundleFile: string; base: string; blobWriter: readonly string[]; workDir: string; output: string; execArgv?: readonly string[] | undefined }): { bytes: number } {
  const blob = join(opts.workDir, "sea-prep.blob");
  const config = join(opts.workDir, "sea-config.json");
  // `execArgv` needs Node ≥ 24.6 to write and to honour; an older base (the armv7l fallback) ignores it.
  const execArgv = opts.execArgv?.length ? { execArgv: [...opts.execArgv] } : {};
  writeFileSync(config, JSON.stringify({ main: opts.bundleFile, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false, ...execArgv }, null, 2));
  execFileSync(opts.blobWriter[0]!, [...opts.blobWriter.slice(1), "--experimental-sea-config", config], { stdio: ["ignore", "pipe", "pipe"] });
  rmSync(opts.output, { force: true });
  copyFileSync(opts.base, opts.output);
  chmodSync(opts.output, 0o755);
  const postject = join(createRequire(import.meta.url).resolve("postject"), "..", "cli.js");
  // postject warns about note sections it cannot name in Node's ELF; the injection itself is checked
  // by running the result (tests/deploy), so its chatter is kept out of the build report.
  execFileSync(process.execPath, [postject, opts.output, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], { stdio: ["ignore", "pipe", "pipe"] });
  rmSync(blob, { force: true });
  return { bytes: statSync(opts.output).size };
}
