import { it } from "vitest";
import { reachable } from "../helpers/net.ts";

export { reachable };

/**
 * Decides whether a suite that needs a local service runs. Absent service: the suite is skipped with
 * a message saying what to start, unless EDGE_REQUIRE_SERVICES=1 (.ci/run), where a test fails instead
 * so CI cannot pass by skipping.
 */
export async function requireService(name: string, host: string, port: number): Promise<boolean> {
  if (await reachable(host, port)) return true;
  const what = `${name} on ${host}:${port} is not reachable; start it to run these tests`;
  if (process.env.EDGE_REQUIRE_SERVICES === "1") {
    it(`needs ${name}`, () => {
      throw new Error(`${what} (EDGE_REQUIRE_SERVICES=1 makes this a failure)`);
    });
  } else {
    console.warn(`skipping: ${what}`);
  }
  return false;
}

/** A token unique to this test run, for topic device ids, schemas and key prefixes. */
export function runToken(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
