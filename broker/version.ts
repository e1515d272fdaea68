import { readFileSync } from "node:fs";

/** The package version, read once; single-file builds replace it at bundle time. */
export const VERSION: string =
  (globalThis as { __EDGE_VERSION__?: string }).__EDGE_VERSION__ ??
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
