import { readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import type { Target } from "./targets.ts";

/** The prefix of every module's rewritten `import.meta.url` (see embedded-files.ts). */
const VIRTUAL_ROOT = "file:///__edge_sea__/";
const EMBED_NS = "edge-embed";

/**
 * Rewrites `import.meta` in every module (ours and dependencies') for a CommonJS bundle, where esbuild would
 * leave it empty: `url`, `filename` and `dirname` become the module's virtual path (its repo-relative
 * path under /__edge_sea__/, served by embedded-files.ts), and `main` is true only in the entry, so the
 * CLI's `if (import.meta.main)` block starts the program exactly once. Modules in `prebuilt` are
 * replaced by the given source.
 */
function importMetaPlugin(root: string, entry: string, prebuilt: ReadonlyMap<string, string>): Plugin {
  return {
    name: "edge-import-meta",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const replaced = prebuilt.get(args.path);
        if (replaced !== undefined) return { contents: replaced, loader: "ts" };
        const source = await readFile(args.path, "utf8");
        const isTs = /\.[cm]?ts$/.test(args.path);
        // Dependencies use import.meta too (node-cron locates its daemon script with it); files without
        // it are left to esbuild's own loader.
        if (!isTs && !source.includes("import.meta")) return undefined;
        const rel = relative(root, args.path).split("\\").join("/");
        const contents = source
          .replaceAll("import.meta.main", args.path === entry ? "true" : "false")
          .replaceAll("import.meta.url", JSON.stringify(VIRTUAL_ROOT + rel))
          .replaceAll("import.meta.filename", JSON.stringify(`/__edge_sea__/${rel}`))
          .replaceAll("import.meta.dirname", JSON.stringify(`/__edge_sea__/${rel.split("/").slice(0, -1).join("/")}`));
        return { contents, loader: isTs ? "ts" : "js" };
      });
      // `import x from "edge-embed:agent/assets/a.wav"` → the file's bytes as a Uint8Array.
      b.onResolve({ filter: new RegExp(`^${EMBED_NS}:`) }, (args) => ({ path: args.path.slice(EMBED_NS.length + 1), namespace: EMBED_NS }));
      b.onLoad({ filter: /.*/, namespace: EMBED_NS }, async (args) => ({ contents: await readFile(join(root, args.path)), loader: "binary" }));
    },
  };
}

/** The generated entry: install the embedded files, then evaluate the CLI (which starts itself). */
function entrySource(root: string, target: Target): string {
  const lines = [`import { installEmbeddedFiles } from ${JSON.stringify(resolve(root, "scripts/build/embedded-files.ts"))};`];
  target.embed.forEach((file, i) => lines.push(`import f${i} from ${JSON.stringify(`${EMBED_NS}:${file}`)};`));
  lines.push(`installEmbeddedFiles({ ${target.embed.map((file, i) => `${JSON.stringify(file)}: f${i}`).join(", ")} });`);
  // A dynamic import keeps the order: the files are installed before any module of the program runs.
  lines.push(`import(${JSON.stringify(resolve(root, target.entry))});`);
  return lines.join("\n");
}

/** Result of bundling one program into one CommonJS file. */
export interface BundleResult {
  readonly file: string;
  readonly bytes: number;
  readonly warnings: readonly string[];
}

/**
 * Bundles a program into one CommonJS script for a SEA (Node 24's SEA runs CommonJS mains; ESM mains
 * arrived in Node 25). `nodeTarget` is the base binary's major version, so syntax it lacks is lowered.
 */
export async function bundle(root: string, target: Target, opts: { outFile: string; version: string; nodeMajor: number }): Promise<BundleResult> {
  const prebuilt = new Map<string, string>();
  for (const [rel, make] of Object.entries(target.prebuilt ?? {})) prebuilt.set(resolve(root, rel), await make(root));
  const result = await build({
    stdin: { contents: entrySource(root, target), resolveDir: root, sourcefile: `${target.name}-sea-entry.ts`, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${opts.nodeMajor}`,
    outfile: opts.outFile,
    minifySyntax: true,
    // Whitespace and comments go: the program's source stays in the heap as one string for the life of the
    // process, and a single non-ASCII character in any dependency's comment makes V8 keep all of it
    // two-byte (issue #9 measured 5.4 MB for a 2.7 MB bundle). Identifiers stay, so stacks keep names.
    minifyWhitespace: true,
    legalComments: "none",
    logLevel: "silent",
    // version.ts reads package.json unless this global is set; the executable carries no package.json.
    banner: { js: `globalThis.__EDGE_VERSION__ = ${JSON.stringify(opts.version)};` },
    // Optional native accelerators that their packages require() inside try/catch.
    external: ["pg-native", "bufferutil", "utf-8-validate"],
    plugins: [importMetaPlugin(root, resolve(root, target.entry), prebuilt)],
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
  return { file: opts.outFile, bytes, warnings: result.warnings.map((w) => `${w.location?.file ?? ""}:${w.location?.line ?? ""} ${w.text}`) };
}
