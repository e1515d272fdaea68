import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { hashSecret, generateSecret } from "../../broker/auth/secrets.ts";
import { fleetConfig } from "../../broker/config/load.ts";
import type { FleetConfigInput } from "../../broker/config/schema.ts";
import { FleetServer } from "../../broker/fleet.ts";

/** A fleet on ephemeral ports with a throw-away SQLite file, for tests. */
export async function startTestFleet(overrides: Partial<FleetConfigInput> = {}, opts: { now?: () => number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "edge-fleet-"));
  const config = fleetConfig({
    ...overrides,
    mqtt: { host: "127.0.0.1", port: 0, ...(overrides.mqtt ?? {}) },
    http: { host: "127.0.0.1", port: 0, ...(overrides.http ?? {}) },
    store: overrides.store ?? { driver: "sqlite", path: join(dir, "fleet.db") },
  });
  const fleet = new FleetServer({ config, log: pino({ level: process.env.TEST_LOG ?? "silent" }), ...(opts.now ? { now: opts.now } : {}) });
  await fleet.start();
  const provision = async (id: string, labels: Record<string, string> = {}) => {
    const secret = generateSecret();
    await fleet.store.addCredential({ id, secretHash: await hashSecret(secret), status: "active", createdAt: Date.now(), labels });
    return { id, secret };
  };
  return {
    fleet,
    dir,
    mqttUrl: `mqtt://127.0.0.1:${fleet.broker.ports.tcp}`,
    httpUrl: `http://127.0.0.1:${fleet.httpPort}`,
    provision,
    async stop() {
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from "./wait.ts";
