import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundle } from "./bundle.ts";
import { blobWriterFor, resolveNodeBase, type NodeBase } from "./node-base.ts";
import { makeSea } from "./sea.ts";
import type { Arch, Target } from "./targets.ts";

/** One built executable, as listed in dist/<name>.manifest.json. */
export interface Artifact {
  readonly name: string;
  readonly arch: Arch;
  readonly file: string;
  readonly bytes: number;
  readonly bundle_bytes: number;
  readonly sha256: string;
  readonly node_version: string;
  readonly node_source: string;
  readonly version: string;
  readonly warning?: string;
}

/** Options of one build run. */
export interface BuildOptions {
  readonly root: string;
  readonly outDir: string;
  readonly cacheDir: string;
  readonly arches: readonly Arch[];
  /** Official nodejs.org tarballs to use instead of the npm packages, by architecture. */
  readonly tarballs?: Partial<Record<Arch, string>>;
  /** Progress lines (the CLI prints them; tests pass a no-op). */
  readonly log?: (line: string) => void;
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Builds `target` for each architecture: one bundle per Node major (the armv7l base may be older), one
 * executable per architecture, and a manifest with sizes and hashes.
 */
export async function buildTarget(target: Target, opts: BuildOptions): Promise<Artifact[]> {
  const log = opts.log ?? (() => {});
  const version = (JSON.parse(readFileSync(join(opts.root, "package.json"), "utf8")) as { version: string }).version;
  mkdirSync(opts.outDir, { recursive: true });
  const work = mkdtempSync(join(opts.outDir, `.${target.name}-`));
  const artifacts: Artifact[] = [];
  try {
    const bundles = new Map<number, { file: string; bytes: number }>();
    for (const arch of opts.arches) {
      const base: NodeBase = resolveNodeBase(arch, { cacheDir: opts.cacheDir, root: opts.root, tarball: opts.tarballs?.[arch] });
      if (base.warning) log(`warning: ${base.warning}`);
      const major = Number(base.version.split(".")[0]);
      let b = bundles.get(major);
      if (!b) {
        const res = await bundle(opts.root, target, { outFile: join(work, `${target.name}-node${major}.cjs`), version, nodeMajor: major });
        for (const w of res.warnings) log(`bundle warning: ${w}`);
        b = { file: res.file, bytes: res.bytes };
        bundles.set(major, b);
        log(`bundled ${target.entry} for Node ${major}: ${mb(res.bytes)}`);
      }
      const output = join(opts.outDir, `${target.name}-linux-${arch}`);
      const { bytes } = makeSea({ bundleFile: b.file, base: base.binary, blobWriter: blobWriterFor(base, opts.cacheDir), workDir: work, output, execArgv: target.execArgv });
      const artifact: Artifact = {
        name: target.name,
        arch,
        file: output,
        bytes,
        bundle_bytes: b.bytes,
        sha256: await sha256(output),
        node_version: base.version,
        node_source: base.source,
        version,
        ...(base.warning ? { warning: base.warning } : {}),
      };
      artifacts.push(artifact);
      log(`built ${output}: ${mb(bytes)} (Node ${base.version} from ${base.source})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(opts.outDir, `${target.name}.manifest.json`), JSON.stringify(mergeManifest(join(opts.outDir, `${target.name}.manifest.json`), artifacts), null, 2) + "\n");
  return artifacts;
}

/** Keeps the entries of architectures not rebuilt this time, so `--arch arm64` does not forget x64. */
function mergeManifest(path: string, fresh: Artifact[]): Artifact[] {
  let old: Artifact[];
  try {
    old = JSON.parse(readFileSync(path, "utf8")) as Artifact[];
  } catch {
    old = [];
  }
  return [...old.filter((a) => !fresh.some((f) => f.arch === a.arch)), ...fresh];
}

/** Bytes as MiB with one decimal, for reports. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
