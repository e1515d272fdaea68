#!/usr/bin/env node
/**
 * Single-file executables: `node scripts/build.ts agent|fleet [--arch arm64]...` (npm run build:agent).
 * Bundles the program with esbuild and injects it into the official Node binary of each architecture
 * (a Node single executable application). See docs/deploy/single-executable.md.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BuildInputError, defaultCacheDir } from "./build/node-base.ts";
import { buildTarget, mb } from "./build/run.ts";
import { ARCHES, parseArches, TARGETS, type Arch } from "./build/targets.ts";

const USAGE = `Usage: node scripts/build.ts agent|fleet [--arch ARCH]... [--out DIR] [--node-base ARCH=TARBALL]...

  --arch ARCH         x64, arm64, armv7l (comma lists allowed); default: every architecture of the target
  --out DIR           where executables go (default dist/)
  --node-base A=FILE  an official nodejs.org tarball (node-vX.Y.Z-linux-A.tar.xz) to use as the base for A
  --cache DIR         where base binaries are kept (default node_modules/.cache/edge-sea)
  --json              print the built artifacts as JSON
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: "string", multiple: true, default: [] },
      out: { type: "string" },
      "node-base": { type: "string", multiple: true, default: [] },
      cache: { type: "string" },
      json: { type: "boolean", default: false },
      debug: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return (console.log(USAGE), 0);
  const root = resolve(import.meta.dirname, "..");
  const target = TARGETS[positionals[0] ?? ""];
  if (!target || positionals.length !== 1) return (console.error(`name one target to build: ${Object.keys(TARGETS).join(" or ")}\n\n${USAGE}`), 2);
  const arches = parseArches(values.arch, target);
  if (!arches.ok) return (console.error(arches.error), 2);
  const tarballs: Partial<Record<Arch, string>> = {};
  for (const spec of values["node-base"]) {
    const [arch, file] = [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];
    if (!(ARCHES as readonly string[]).includes(arch) || !file) return (console.error(`--node-base '${spec}' must be ARCH=TARBALL with ARCH one of ${ARCHES.join(", ")}`), 2);
    tarballs[arch as Arch] = resolve(file);
  }
  const log = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const artifacts = await buildTarget(target, {
    root,
    outDir: resolve(values.out ?? resolve(root, "dist")),
    cacheDir: resolve(values.cache ?? defaultCacheDir(root)),
    arches: arches.arches,
    tarballs,
    log,
  });
  if (values.json) console.log(JSON.stringify(artifacts, null, 2));
  else {
    console.log(`\n${"executable".padEnd(40)} ${"size".padStart(10)} ${"bundle".padStart(10)}  node`);
    for (const a of artifacts) console.log(`${a.file.padEnd(40)} ${mb(a.bytes).padStart(10)} ${mb(a.bundle_bytes).padStart(10)}  ${a.node_version}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error & { code?: string; stderr?: Buffer; errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }) => {
    if (err instanceof BuildInputError || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    // esbuild errors and failed child commands (npm pack offline with an empty cache, postject) end here.
    const detail = err.errors?.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("\n") ?? err.stderr?.toString().trim();
    console.error(`build failed: ${err.message.split("\n")[0]}${detail ? `\n${detail}` : ""}`);
    if (process.argv.includes("--debug")) console.error(err.stack);
    process.exitCode = 1;
  },
);
