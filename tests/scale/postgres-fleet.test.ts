import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { PostgresStore } from "../../broker/store/postgres/store.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { requireService, runToken } from "./services.ts";

// trust auth on the CI machine; PGUSER overrides (the role is postgres or root depending on the image)
const URL = `postgres://${process.env.PGUSER ?? "postgres"}@127.0.0.1:5432/test`;
const available = await requireService("PostgreSQL", "127.0.0.1", 5432);

type Fleet = Awaited<ReturnType<typeof startTestFleet>>;

/**
 * A whole fleet on PostgreSQL (issue #9): `store: { driver: "postgres" }` puts API tokens, remote commands,
 * the registry and tickets in the database, so any replica can serve any request.
 */
describe.runIf(available)("a fleet running on PostgreSQL", () => {
  let fleet: Fleet | undefined;
  let child: ChildProcess | undefined;
  let schema = "";
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await (fleet?.fleet.store as PostgresStore | undefined)?.dropSchema();
    await fleet?.stop();
    fleet = child = undefined;
  });

  const api = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${fleet!.httpUrl}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("serves tokens from the CLI and the API, an agent online, its ticket and a command, all stored in PostgreSQL", async () => {
    schema = `fleet_${runToken()}`;
    const store = { driver: "postgres" as const, url: URL, schema };
    fleet = await startTestFleet({ store, tickets: { group_wait_ms: 0 } });

    // the operator's first token: `edge-fleet tokens create` against the same database
    const cfgFile = join(fleet.dir, "fleet.json");
    writeFileSync(cfgFile, JSON.stringify({ store, log: { level: "silent" } }));
    const cli = spawnSync(process.execPath, ["broker/cli/main.ts", "tokens", "create", "--role", "admin", "--name", "ops", "--config", cfgFile], { encoding: "utf8", timeout: 20_000 });
    expect(cli.status, cli.stderr).toBe(0);
    const admin = cli.stdout.trim();
    expect(admin).toMatch(/^eft_/);

    // the admin makes a technician token over the API; the fleet process knows it at once (same table)
    const created = await api("/api/tokens", admin, { method: "POST", body: { name: "tech", role: "technician" } });
    expect(created.status).toBe(201);
    const tech = created.body.secret as string;
    expect((await api("/api/devices", tech)).status).toBe(200);
    expect((await api("/api/devices", "eft_not-a-real-token-at-all-0000000000000")).status).toBe(401);

    const { id, secret } = await fleet.provision(`pg-speaker-${runToken()}`);
    child = spawn(process.execPath, ["tests/fixtures/agent-child.ts", fleet.mqttUrl, id, secret, "cloud_outage", "5"], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.once("data", (d: Buffer) => (d.toString().includes("ready") ? resolve() : reject(new Error(`agent did not connect: ${d}`))));
      child!.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
    });

    const device = await waitFor(async () => {
      const d = (await api(`/api/devices/${id}`, tech)).body.device as { online: boolean; telemetry: unknown; model: string } | undefined;
      return d?.online && d.telemetry ? d : undefined;
    }, 15_000, "device online with telemetry");
    expect(device.model).toBe("speaker-x");
    const tickets = await waitFor(async () => {
      const t = (await api(`/api/tickets?device_id=${id}`, tech)).body.tickets as { deviceId: string; fault: string }[] | undefined;
      return t?.length ? t : undefined;
    }, 15_000, "a ticket for the faulty diagnosis");
    expect(tickets[0]).toMatchObject({ deviceId: id, fault: "cloud_outage" });

    // a command: recorded in PostgreSQL, marked delivered when the device's PUBACK comes back
    const sent = await api(`/api/devices/${id}/commands`, tech, { method: "POST", body: { name: "diagnose", args: {} } });
    expect(sent.status).toBe(202);
    const commandId = (sent.body.command as { id: string }).id;
    await waitFor(async () => ((await api(`/api/commands/${commandId}`, tech)).body.command as { status: string }).status === "delivered", 10_000, "command delivered");

    // the rows are in the database, not in this process's memory
    const db = new pg.Client({ connectionString: URL });
    await db.connect();
    try {
      const count = async (sql: string, args: unknown[] = []) => Number((await db.query(sql, args)).rows[0].n);
      expect(await count(`SELECT count(*) AS n FROM ${schema}.api_tokens WHERE revoked_at IS NULL`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM ${schema}.commands WHERE id = $1 AND status = 'delivered'`, [commandId])).toBe(1);
      expect(await count(`SELECT count(*) AS n FROM ${schema}.devices WHERE id = $1 AND online`, [id])).toBe(1);
      expect(await count(`SELECT count(*) AS n FROM ${schema}.tickets WHERE device_id = $1 AND fault = 'cloud_outage'`, [id])).toBe(1);
    } finally {
      await db.end();
    }
  }, 60_000);
});
