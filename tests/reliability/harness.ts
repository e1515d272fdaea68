import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { generateSecret, hashSecret } from "../../broker/auth/secrets.ts";
import { fleetConfig } from "../../broker/config/load.ts";
import type { FleetConfigInput } from "../../broker/config/schema.ts";
import { FleetServer } from "../../broker/fleet.ts";
import { newMessageId, type TelemetryMessage } from "../../shared/index.ts";
import { Spool } from "../../agent/spool/spool.ts";
import { MqttTransport, type MqttTransportOptions } from "../../agent/transport/mqtt.ts";
import { healthySystem } from "../fixtures/samples.ts";

export const silent: Logger = pino({ level: process.env.TEST_LOG ?? "silent" });

/**
 * A fleet that can be stopped and started again on the same MQTT port and SQLite file: a broker restart as
 * devices see it. Publish limits are raised so a test's backlog drains fast; the agents pace themselves.
 */
export class RestartableFleet {
  dir = mkdtempSync(join(tmpdir(), "edge-rel-"));
  port = 0;
  server: FleetServer | null = null;
  #overrides: Partial<FleetConfigInput>;
  #onStart: ((f: FleetServer) => void)[] = [];

  constructor(overrides: Partial<FleetConfigInput> = {}) {
    this.#overrides = overrides;
  }

  /** Runs for every (re)started server: attach event listeners here. */
  onStart(fn: (f: FleetServer) => void): void {
    this.#onStart.push(fn);
    if (this.server) fn(this.server);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<FleetServer> {
    const o = this.#overrides;
    const config = fleetConfig({
      ...o,
      mqtt: { host: "127.0.0.1", port: this.port, publish_rate: { per_second: 200, burst: 400 }, ...(o.mqtt ?? {}) },
      http: { host: "127.0.0.1", port: 0 },
      store: { driver: "sqlite", path: join(this.dir, "fleet.db") },
    });
    const server = new FleetServer({ config, log: silent });
    await server.start();
    this.port = server.broker.ports.tcp;
    this.server = server;
    for (const fn of this.#onStart) fn(server);
    return server;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  async provision(id: string): Promise<string> {
    const secret = generateSecret();
    await this.server!.store.addCredential({ id, secretHash: await hashSecret(secret), status: "active", createdAt: Date.now(), labels: {} });
    return secret;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An agent transport with a disk spool and a fast reconnect policy (tests: 100 ms → 1 s instead of 1 s → 120 s). */
export function agentTransport(o: { url: string; id: string; secret?: string; spoolDir: string | null; maxMessages?: number; log?: Logger; headWriteDelayMs?: number } & Partial<MqttTransportOptions>) {
  const log = o.log ?? silent;
  const spool = new Spool({ dir: o.spoolDir, maxMessages: o.maxMessages ?? 10_000, maxBytes: 16 * 1024 * 1024, memoryFallbackMessages: 500, log, headWriteDelayMs: o.headWriteDelayMs ?? 50 });
  const { url, id, secret, spoolDir: _s, maxMessages: _m, log: _l, headWriteDelayMs: _h, ...rest } = o;
  return new MqttTransport({
    url,
    deviceId: id,
    username: secret ? id : undefined,
    password: secret,
    keepaliveS: 5,
    connectTimeoutMs: 2000,
    reconnect: { initialMs: 100, maxMs: 1000, firstConnectJitterMs: 0 },
    publishPerSecond: 100,
    state: () => ({ v: 1, device_id: id, agent_version: "0.1.0", firmware_version: "fw-1", model: "speaker-x", region: "eu", app_id: null, labels: {}, keepalive_s: 5 }),
    log,
    spool,
    ...rest,
  });
}

/** A telemetry message with a given seq (the order the fleet must see). */
export function telemetry(id: string, seq: number, spool: TelemetryMessage["spool"] = { depth: 0, dropped_total: 0, mode: "disk", condition: null }): TelemetryMessage {
  return { v: 1, device_id: id, ts: Date.now(), msg_id: newMessageId(), seq, samples: { system: healthySystem }, ai: null, samplers: [], spool, budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 } };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
