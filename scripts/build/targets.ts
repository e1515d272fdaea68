/** What can be built as a single executable, and for which CPU architectures. */

/** Linux CPU architectures, named as Node's `process.arch` and the npm `node-linux-*` packages name them. */
export const ARCHES = ["x64", "arm64", "armv7l"] as const;
export type Arch = (typeof ARCHES)[number];

/** One program built into a single executable. */
export interface Target {
  /** The executable's name (dist/<name>-linux-<arch>). */
  readonly name: string;
  /** The CLI entry, relative to the repository root; its `if (import.meta.main)` block starts the program. */
  readonly entry: string;
  /** Architectures built when `--arch` is not given. */
  readonly arches: readonly Arch[];
  /**
   * Files the code reads relative to `import.meta.url`, embedded into the executable so that it stays one
   * file (repository-relative paths).
   */
  readonly embed: readonly string[];
  /**
   * Modules replaced at build time by the source a function returns (repository-relative path → source):
   * for code that builds something at run time with a tool the executable does not carry.
   */
  readonly prebuilt?: Readonly<Record<string, (root: string) => Promise<string>>>;
  /** Node/V8 flags baked into the executable (SEA `execArgv`, Node ≥ 24.6); NODE_OPTIONS may still add more. */
  readonly execArgv?: readonly string[];
}

/**
 * The device agent's runtime flags (issue #9, measured with bench/footprint/measure.ts on x64):
 * - `--max-semi-space-size=1`: V8 sizes the young generation for throughput and grew it to 32 MB of
 *   semi-spaces during start-up, all of it resident afterwards; the agent allocates a few KB a second, so
 *   1 MB semi-spaces cost nothing measurable in CPU and save ~35 MB.
 * - `--lite-mode` (implies `--jitless`): no optimising compilers and no executable JIT memory. The agent
 *   is I/O-bound (a report every minute), so the interpreter is fast enough; saves ~13 MB (compiler code
 *   pages, code space, feedback vectors). Its cost: no WebAssembly, hence no `fetch` (undici parses HTTP
 *   in wasm); the agent uses node:http (agent/probes/http-get.ts).
 * - `--single-threaded` (no V8 background threads: GC marking and compile tasks run on the main thread,
 *   fine for a ~15 MB heap) and `--bytecode-old-age=1` (bytecode of a function not run since the last GC
 *   is dropped and recompiled on its next call: most of the agent's code runs once a minute or less).
 *   Together ~2 MB; the unit's MALLOC_ARENA_MAX=2 (deploy/systemd) ~1.5 MB more.
 */
export const AGENT_EXEC_ARGV = ["--max-semi-space-size=1", "--lite-mode", "--single-threaded", "--bytecode-old-age=1"] as const;

/**
 * Parts of the agent's dependencies that a Linux device never runs, replaced in the executable (issue #9:
 * each costs heap for its source and objects, and some load Node modules the agent has no other use for):
 * - readable-stream (MQTT.js's streams) is a copy of Node's own stream module for browsers and old Nodes;
 *   its documented `READABLE_STREAM=disable` mode hands out Node's `stream`, which the executable now always does.
 * - MQTT.js's SOCKS proxy support (socks, ip-address, smart-buffer, and `assert`): the agent's config has no
 *   proxy, and it refuses MQTT.js's MQTTJS_SOCKS_PROXY variable (agent/transport/connect-options.ts).
 * - worker-timers: MQTT.js's keep-alive timer for browser tabs; on Node it uses the native one.
 * - pino's worker-thread transports (thread-stream, `worker_threads`): the agent logs to stdout and its ring.
 * Each replacement throws a one-sentence error naming what is missing, should anything ever call it.
 */
const unused = (what: string) => `throw new Error(${JSON.stringify(`${what} is not part of the edge-agent executable`)});`;
const AGENT_UNUSED_PARTS: Readonly<Record<string, (root: string) => Promise<string>>> = {
  "node_modules/readable-stream/lib/ours/index.js": async () =>
    `const Stream = require("stream");\n` +
    ["_uint8ArrayToBuffer", "_isUint8Array", "isDisturbed", "isErrored", "isReadable", "Readable", "Writable", "Duplex", "Transform", "PassThrough", "addAbortSignal", "finished", "destroy", "pipeline", "compose", "Stream", "promises"]
      .map((k) => `module.exports.${k} = Stream.${k};\n`)
      .join("") +
    "module.exports.default = module.exports;\n",
  "node_modules/mqtt/build/lib/connect/socks.js": async () =>
    `Object.defineProperty(exports, "__esModule", { value: true });\nexports.default = function openSocks() { ${unused("a SOCKS proxy")} };\n`,
  "node_modules/worker-timers/build/es5/bundle.js": async () =>
    ["setInterval", "clearInterval", "setTimeout", "clearTimeout"].map((k) => `exports.${k} = function () { ${unused("worker-timers (MQTT.js's browser timers)")} };\n`).join(""),
  "node_modules/pino/lib/transport.js": async () => `module.exports = function transport() { ${unused("a pino transport (worker thread)")} };\n`,
};

/**
 * The fleet bundles its dashboard with esbuild on first request; esbuild is a native binary the
 * executable cannot carry, so the dashboard is bundled now and its module answers with the result.
 */
async function prebuiltDashboard(root: string): Promise<string> {
  const { buildDashboard } = (await import(`${root}/broker/dashboard/build.ts`)) as { buildDashboard: (o?: { minify?: boolean }) => Promise<unknown> };
  const assets = await buildDashboard({ minify: true });
  return `/** Prebuilt by scripts/build (the executable carries no esbuild). */\nexport async function buildDashboard() { return ${JSON.stringify(assets)}; }\n`;
}

/** The buildable programs, by the name given to `scripts/build.ts`. */
export const TARGETS: Readonly<Record<string, Target>> = {
  agent: {
    name: "edge-agent",
    entry: "agent/cli/main.ts",
    arches: ["x64", "arm64", "armv7l"],
    embed: ["agent/assets/utterance.wav", "agent/assets/utterance.json"],
    execArgv: AGENT_EXEC_ARGV,
    // the executables are Linux-only, and /proc always answers there: the systeminformation fallback stays out
    prebuilt: {
      "agent/samplers/system/si-fallback.ts": async () =>
        `export async function loadSystemInformation() { throw new Error("/proc/stat or /proc/meminfo could not be read, and this executable carries no systeminformation fallback; check that /proc is mounted"); }\n`,
      // zod's error messages in 40 languages: the agent reports in English (zod's default), ~170 KB less heap
      "node_modules/zod/v4/locales/index.js": async () => `export { default as en } from "./en.js";\n`,
      ...AGENT_UNUSED_PARTS,
    },
  },
  // The fleet runs on servers and gateways: x64 and arm64 only (issue #8).
  fleet: {
    name: "edge-fleet",
    entry: "broker/cli/main.ts",
    arches: ["x64", "arm64"],
    embed: [],
    prebuilt: { "broker/dashboard/build.ts": prebuiltDashboard },
  },
};

/** Parses `--arch` values ("arm64", "x64,arm64", "aarch64", "armhf"), or explains what is accepted. */
export function parseArches(values: readonly string[], target: Target): { ok: true; arches: Arch[] } | { ok: false; error: string } {
  if (values.length === 0) return { ok: true, arches: [...target.arches] };
  const aliases: Record<string, Arch> = { amd64: "x64", x86_64: "x64", aarch64: "arm64", armhf: "armv7l", arm: "armv7l", armv7: "armv7l" };
  const out: Arch[] = [];
  for (const raw of values.flatMap((v) => v.split(","))) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    const arch = (ARCHES as readonly string[]).includes(name) ? (name as Arch) : aliases[name];
    if (!arch) return { ok: false, error: `unknown architecture '${raw}'; use one of ${target.arches.join(", ")}` };
    if (!target.arches.includes(arch)) return { ok: false, error: `${target.name} is not built for ${arch}; use one of ${target.arches.join(", ")}` };
    if (!out.includes(arch)) out.push(arch);
  }
  return out.length ? { ok: true, arches: out } : { ok: false, error: `--arch is empty; use one of ${target.arches.join(", ")}` };
}
