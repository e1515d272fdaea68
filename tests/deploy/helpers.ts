import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "..", "..");

/** True when `cmd` is on PATH. */
export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** CI sets EDGE_REQUIRE_SERVICES=1: a missing tool fails the test instead of skipping it. */
export const REQUIRED = process.env.EDGE_REQUIRE_SERVICES === "1";

/** Runs a CLI from the source tree with this Node (type stripping). */
export function runTs(script: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, script), ...args], { encoding: "utf8", cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: 60_000 });
}

/**
 * A listing of a tree with each entry's type, mode, owner and content hash (or link target), sorted:
 * two equal listings mean the same installed result.
 */
export function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
    const kind = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : "?";
    const what = st.isFile() ? createHash("sha256").update(readFileSync(abs)).digest("hex") : st.isSymbolicLink() ? `-> ${readlinkSync(abs)}` : "";
    out.push(`${kind} ${mode} ${st.uid}:${st.gid} ${rel || "."} ${what}`.trimEnd());
    if (st.isDirectory()) for (const name of readdirSync(abs).sort()) walk(join(abs, name), rel ? `${rel}/${name}` : name);
  };
  walk(dir, "");
  return out;
}
