/**
 * The broker under measurement, in its own process so that its memory and CPU are its own and the
 * load generator gets the other core. `node bench/lib/broker-child.ts fleet|raw|floor '<config json>'`;
 * talks to the parent over IPC: answers `stats`, `provision`, `tickets`, and `stop`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import pino from "pino";
import { fleetConfig } from "../../broker/config/load.ts";
import type { FleetConfigInput } from "../../broker/config/schema.ts";
import { FleetServer } from "../../broker/fleet.ts";
import { PostgresStore } from "../../broker/store/postgres/store.ts";
import { batchStats } from "../../broker/store/tick-batch.ts";
import { provisionFleet } from "../../sim/fleet/provision.ts";
import { ingestFloor } from "./ingest-floor.ts";

const [mode = "fleet", cfgJson = "{}"] = process.argv.slice(2);
const input = JSON.parse(cfgJson) as FleetConfigInput;
const send = (m: unknown) => process.send?.(m);
const gc = (globalThis as { gc?: () => void }).gc;

const dir = mkdtempSync(join(tmpdir(), "edge-bench-"));
let fleet: FleetServer | null = null;
let aedes: Aedes | null = null;
let port: number;

if (mode === "raw" || mode === "floor") {
  // the baseline: aedes with its defaults and no hooks, the same listener type; the floor adds only the
  // least any pipeline keeping the guarantees must do per report (bench/lib/ingest-floor.ts)
  aedes = await Aedes.createBroker({ maxClientsIdLength: 64, ...(mode === "floor" ? { authorizePublish: ingestFloor(join(dir, "floor.db")) } : {}) });
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
} else {
  const config = fleetConfig({
    ...input,
    mqtt: { host: "127.0.0.1", port: 0, ...(input.mqtt ?? {}) },
    http: { host: "127.0.0.1", port: 0 },
    // SQLite in this run's temp dir unless the benchmark names a store (the ingest's PostgreSQL phase)
    store: input.store ?? { driver: "sqlite", path: join(dir, "fleet.db") },
    log: { level: "silent" },
  });
  fleet = new FleetServer({ config, log: pino({ level: "silent" }) });
  await fleet.start();
  port = fleet.broker.ports.tcp;
}

const incidentLog: { action: string; id: number; severity: string; status: string; at: number }[] = [];
(fleet?.events as unknown as { on(e: string, f: (x: { action: string; incident: { id: number; severity: string; status: string } }) => void): void } | undefined)?.on("incident", (e) =>
  incidentLog.push({ action: e.action, id: e.incident.id, severity: e.incident.severity, status: e.incident.status, at: Date.now() }),
);

function clients(): Record<string, { conn?: { bytesRead?: number; bytesWritten?: number } }> {
  const a = (aedes ?? fleet?.broker.aedes) as unknown as { clients: Record<string, { conn?: { bytesRead?: number; bytesWritten?: number } }> };
  return a.clients;
}

process.on("message", async (m: { id: number; cmd: string; arg?: unknown }) => {
  const reply = (data: unknown) => send({ id: m.id, data });
  try {
    switch (m.cmd) {
      case "stats": {
        if (m.arg === "gc") for (let i = 0; i < 3; i++) gc?.();
        const mem = process.memoryUsage();
        reply({ mem, cpu: process.cpuUsage(), at: Date.now(), connected: Object.keys(clients()).length, ingest: fleet?.ingest.stats ?? null, batches: fleet ? batchStats(fleet.store) : null });
        break;
      }
      case "provision": {
        const { count, prefix } = m.arg as { count: number; prefix: string };
        reply(await provisionFleet(fleet!.store, count, prefix, 42));
        break;
      }
      case "client-bytes": {
        const c = clients()[m.arg as string];
        reply(c ? { read: c.conn?.bytesRead ?? 0, written: c.conn?.bytesWritten ?? 0 } : null);
        break;
      }
      case "incidents": {
        const list = await fleet!.store.listIncidents({ limit: 50 });
        const tickets = m.arg === "light" ? [] : await fleet!.store.listTickets({ limit: 100_000 });
        reply({ incidents: list, log: incidentLog, tickets: tickets.length, liveTickets: tickets.filter((t) => t.status !== "resolved" && t.status !== "closed").length });
        break;
      }
      case "stop":
        await fleet?.stop();
        // a benchmark's PostgreSQL schema goes with it, dropped by a store of its own once the fleet's is closed
        if (input.store?.driver === "postgres") {
          const pg = new PostgresStore({ url: input.store.url, ...(input.store.schema ? { schema: input.store.schema } : {}) });
          await pg.open();
          await pg.dropSchema().finally(() => pg.close());
        }
        if (aedes) await new Promise<void>((r) => aedes!.close(() => r()));
        rmSync(dir, { recursive: true, force: true });
        reply(true);
        process.exit(0);
    }
  } catch (err) {
    send({ id: m.id, error: (err as Error).message });
  }
});

send({ ready: true, port });
