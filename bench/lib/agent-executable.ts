import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The newest modification time of the bundled files under a folder (does the executable predate its sources?). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // tests are not bundled: editing one does not make the executable stale
    if (e.name === "node_modules" || e.name.endsWith(".test.ts")) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** How the footprint benchmark starts the agent, and what a reader must know about that choice. */
export interface AgentCommand {
  cmd: string;
  args: string[];
  how: string;
  notes: string[];
}

/**
 * The agent as a device runs it: dist/'s executable when it is newer than every source it bundles, otherwise a
 * fresh build into `tmp` (dist/ is left alone: another build may be using it); if the build fails, the stale
 * executable or, failing that, the sources under this Node — each with a note saying so. The executable is
 * run from a copy in `tmp`: written by postject's one big write(), Linux 6.x maps its large page-cache
 * folios whole, ~18 MB more file-backed RSS than the same bytes copied (as an installer would), found by
 * bench/footprint/measure.ts, which does the same.
 */
export function agentCommand(root: string, configPath: string, tmp: string, nodeCopy: string): AgentCommand {
  const name = `edge-agent-linux-${process.arch}`;
  const exe = join(root, "dist", name);
  const copy = join(tmp, "edge-agent");
  const run = (from: string, how: string, notes: string[]): AgentCommand => {
    copyFileSync(from, copy);
    return { cmd: copy, args: ["run", "--config", configPath], how, notes };
  };
  const staleMin = existsSync(exe) ? (Math.max(newestMtime(join(root, "agent")), newestMtime(join(root, "shared"))) - statSync(exe).mtimeMs) / 60_000 : Infinity;
  if (staleMin <= 0) return run(exe, `single-file executable dist/${name}`, []);
  const why = Number.isFinite(staleMin) ? `dist/${name} is ${staleMin.toFixed(0)} min older than the newest source under agent/ or shared/` : `dist/${name} is not built`;
  const out = join(tmp, "build");
  const built = spawnSync(process.execPath, [join(root, "scripts", "build.ts"), "agent", "--arch", process.arch, "--out", out], { cwd: root, encoding: "utf8", timeout: 240_000 });
  if (built.status === 0 && existsSync(join(out, name))) {
    return run(join(out, name), "single-file executable built from the current sources for this run", [`${why}, so the agent was built afresh for this run (into a temp dir; dist/ untouched)`]);
  }
  const reason = `${why} and building it failed (${(built.stderr || built.stdout || String(built.error ?? "")).trim().split("\n").at(-1)})`;
  if (existsSync(exe)) return run(exe, `stale single-file executable dist/${name}`, [`${reason}: measured the stale executable`]);
  return {
    cmd: nodeCopy,
    args: [join(root, "agent", "cli", "main.ts"), "run", "--config", configPath],
    how: "from source (node agent/cli/main.ts)",
    notes: [`${reason}: the agent ran from source under ${process.version} (type stripping, unbundled modules, no --lite-mode: more memory than the executable a device runs)`],
  };
}

/**
 * The environment the shipped systemd unit gives the agent (its `Environment=` lines, e.g. MALLOC_ARENA_MAX),
 * so the benchmark runs the executable as a device does; the bare baseline gets the same.
 */
export function unitEnvironment(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(root, "deploy", "systemd", "edge-agent.service"), "utf8").split("\n")) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    for (const pair of m?.[1]?.split(/\s+/) ?? []) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
