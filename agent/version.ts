import { readFileSync } from "node:fs";

/** The agent version; single-file builds define __EDGE_VERSION__ at bundle time. */
export const AGENT_VERSION: string =
  (globalThis as { __EDGE_VERSION__?: string }).__EDGE_VERSION__ ??
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
