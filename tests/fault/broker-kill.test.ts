import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { generateSecret, hashSecret } from "../../broker/auth/secrets.ts";
import { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { waitFor } from "../helpers/fleet.ts";
import { figure } from "../summary/figure.ts";
import { agentConfig, ChildFleet, diagnosisMsg, realTransport, telemetryMsg } from "./helpers.ts";

const DEVICES = 100;
const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fleet killed with SIGKILL and restarted while 100 devices publish at QoS 1", () => {
  let fleet: ChildFleet | undefined;
  const transports: MqttTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.stop()));
    await fleet?.dispose();
    fleet = undefined;
  });

  it("stores every report exactly once and opens exactly one ticket per device", async (ctx) => {
    fleet = new ChildFleet({
      // 200 connections from one address within seconds: lift the per-address connect limit
      mqtt: { connect_rate: { per_minute_per_address: 100_000 }, publish_rate: { per_second: 200, burst: 400 } },
      tickets: { group_wait_ms: 0 },
    });
    const ids = Array.from({ length: DEVICES }, (_, i) => `kill-${String(i).padStart(3, "0")}`);
    const secrets = new Map<string, string>();
    const store = new SqliteStore(fleet.dbPath);
    await store.open();
    for (const id of ids) {
      const secret = generateSecret();
      secrets.set(id, secret);
      await store.addCredential({ id, secretHash: await hashSecret(secret), status: "active", createdAt: Date.now(), labels: {} });
    }
    await store.close();
    await fleet.start();

    for (const id of ids) {
      const spoolDir = join(fleet.dir, "spool", id);
      mkdirSync(spoolDir, { recursive: true });
      const { transport } = realTransport(agentConfig({ id, secret: secrets.get(id)!, url: fleet.url, spoolDir }), silent);
      transports.push(transport);
    }
    await Promise.all(transports.map((t) => t.start()));
    await waitFor(() => transports.every((t) => t.connected), 20_000, "all devices connected");

    const sent = new Map<string, "telemetry" | "diagnosis">();
    const phase = async (telemetry: number, diagnoses: number) => {
      await Promise.all(
        ids.map(async (id, i) => {
          const t = transports[i]!;
          for (let n = 0; n < telemetry; n++) {
            const m = telemetryMsg(id, n);
            sent.set(m.msg_id, "telemetry");
            await t.send("telemetry", m);
          }
          for (let n = 0; n < diagnoses; n++) {
            const m = diagnosisMsg(id, "voice_capture");
            sent.set(m.msg_id, "diagnosis");
            await t.send("diagnosis", m);
          }
        }),
      );
    };

    // the agents pace themselves at 10 publishes/s: 4 reports each take ~0.4 s, so the kill lands mid-stream
    await phase(3, 1);
    await sleep(150);
    await fleet.kill();
    await waitFor(() => transports.every((t) => !t.connected), 10_000, "every device saw the broker go");
    await phase(3, 1); // reported while no broker runs
    const queuedAtRestart = transports.reduce((n, t) => n + t.spoolStatus().depth, 0);
    expect(queuedAtRestart).toBeGreaterThanOrEqual(DEVICES * 4);

    await fleet.start();
    await phase(2, 0);
    await waitFor(() => transports.every((t) => t.connected && t.spoolStatus().depth === 0), 60_000, "every spool drained");
    expect(transports.every((t) => t.spoolStatus().dropped_total === 0)).toBe(true);

    // the running fleet's file, read beside it (WAL allows a concurrent reader)
    const db = new DatabaseSync(fleet.dbPath, { readOnly: true });
    try {
      const telemetry = db.prepare("SELECT json_extract(body, '$.msg_id') AS id FROM telemetry_history").all() as { id: string }[];
      const seen = db.prepare("SELECT msg_id FROM seen_messages").all() as { msg_id: string }[];
      const diagnoses = db.prepare("SELECT count(*) AS n FROM diagnoses").get() as { n: number };
      const tickets = db.prepare("SELECT device_id, fault, occurrences FROM tickets").all() as { device_id: string; fault: string; occurrences: number }[];

      const wanted = [...sent].filter(([, k]) => k === "telemetry").map(([id]) => id).sort();
      expect(telemetry.map((r) => r.id).sort()).toEqual(wanted); // every one, none twice
      expect(new Set(seen.map((r) => r.msg_id))).toEqual(new Set(sent.keys()));
      expect(diagnoses.n).toBe(DEVICES * 2);
      expect(tickets).toHaveLength(DEVICES);
      expect(new Set(tickets.map((t) => t.device_id)).size).toBe(DEVICES);
      expect(tickets.filter((t) => t.fault !== "voice_capture" || t.occurrences !== 2)).toEqual([]); // both diagnoses counted, once each
      figure(ctx, `${sent.size} reports from ${DEVICES} devices (${queuedAtRestart} spooled during the outage): ${telemetry.length + diagnoses.n} stored, 0 lost, 0 duplicated; ${tickets.length} tickets, 0 duplicated`);
    } finally {
      db.close();
    }
  }, 120_000);
});
