/**
 * Runtime half of the single-executable build, bundled in front of the program: serves the files the
 * code reads relative to `import.meta.url` (the canned utterance, …) from bytes embedded in the bundle.
 *
 * Why patch fs instead of changing the readers: the same code runs from the source tree (type stripping,
 * real files) and from the executable, and the readers stay plain `readFile(new URL(…, import.meta.url))`.
 * The bundler rewrites each module's `import.meta.url` to `file:///__edge_sea__/<its repo path>`, a
 * prefix no real file system has, so only those virtual paths are served here; every other path goes to
 * the real fs untouched.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/** The URL prefix the bundler gives every module's `import.meta.url`. */
export const VIRTUAL_ROOT = "file:///__edge_sea__/";

type Encoding = BufferEncoding | null | undefined;

function virtualKey(target: unknown): string | undefined {
  let path: string | undefined;
  if (target instanceof URL) path = target.protocol === "file:" ? fileURLToPath(target) : undefined;
  else if (typeof target === "string") path = target.startsWith("file:") ? fileURLToPath(target) : target;
  const prefix = fileURLToPath(VIRTUAL_ROOT);
  return path?.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

function encodingOf(options: unknown): Encoding {
  if (typeof options === "string") return options as BufferEncoding;
  if (options && typeof options === "object" && "encoding" in options) return (options as { encoding: Encoding }).encoding;
  return undefined;
}

function notFound(key: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file embedded in this executable: ${key}`), { code: "ENOENT", errno: -2, syscall: "open", path: key });
}

/** Installs the embedded files (repo-relative path → bytes) behind fs.readFile/readFileSync/existsSync. */
export function installEmbeddedFiles(files: Readonly<Record<string, Uint8Array>>): void {
  const read = (key: string, options: unknown): Buffer | string => {
    const bytes = files[key];
    if (!bytes) throw notFound(key);
    const buf = Buffer.from(bytes);
    const enc = encodingOf(options);
    return enc ? buf.toString(enc) : buf;
  };
  const { readFileSync, existsSync } = fs;
  const readFileAsync = fs.promises.readFile;
  const readFileCb = fs.readFile;

  fs.readFileSync = ((target: unknown, options?: unknown) => {
    const key = virtualKey(target);
    return key === undefined ? readFileSync(target as fs.PathOrFileDescriptor, options as never) : read(key, options);
  }) as typeof fs.readFileSync;
  fs.existsSync = ((target: unknown) => {
    const key = virtualKey(target);
    return key === undefined ? existsSync(target as fs.PathLike) : key in files;
  }) as typeof fs.existsSync;
  fs.promises.readFile = (async (target: unknown, options?: unknown) => {
    const key = virtualKey(target);
    return key === undefined ? readFileAsync(target as fs.PathLike, options as never) : read(key, options);
  }) as typeof fs.promises.readFile;
  fs.readFile = ((target: unknown, ...rest: unknown[]) => {
    const key = virtualKey(target);
    if (key === undefined) return (readFileCb as (...a: unknown[]) => void)(target, ...rest);
    const cb = rest.pop() as (err: Error | null, data?: Buffer | string) => void;
    try {
      const data = read(key, rest[0]);
      process.nextTick(cb, null, data);
    } catch (err) {
      process.nextTick(cb, err as Error);
    }
  }) as typeof fs.readFile;
}
