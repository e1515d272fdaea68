import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { resolveAgentConfig, type AgentConfig } from "../../agent/config/index.ts";
import { createTransport } from "../../agent/transport/from-config.ts";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { Spool } from "../../agent/spool/spool.ts";
import type { FleetConfigInput } from "../../broker/config/schema.ts";
import { newMessageId, type DiagnosisMessage, type TelemetryMessage } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";

const root = resolve(import.meta.dirname, "../..");

/** A port that was free a moment ago (the fleet must come back on the same one after a kill). */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** A validated agent config as `edge-agent run` would load it, with a fast reconnect for tests. */
export function agentConfig(o: { id: string; secret: string; url: string; spoolDir: string; keepaliveS?: number; extra?: Record<string, unknown> }): AgentConfig {
  return resolveAgentConfig(
    {
      device: { id: o.id, firmware_version: "fw-1", model: "speaker-x", region: "eu" },
      mqtt: { url: o.url, username: o.id, password: o.secret, keepalive_s: o.keepaliveS ?? 30, connect_timeout_ms: 2000, reconnect: { initial_ms: 100, max_ms: 1000, first_connect_jitter_ms: 0 } },
      spool: { dir: o.spoolDir },
      ...o.extra,
    },
    "test config",
  );
}

/** The agent's real transport and disk spool from its config (agent/transport/from-config.ts). */
export function realTransport(cfg: AgentConfig, log: Logger, now?: () => number): { transport: MqttTransport; spool: Spool } {
  const d = cfg.device;
  return createTransport(cfg, {
    log,
    ...(now ? { now } : {}),
    state: () => ({ v: 1, device_id: d.id, agent_version: "0.1.0", firmware_version: d.firmware_version, model: d.model, region: d.region, app_id: d.app_id, labels: d.labels, keepalive_s: cfg.mqtt.keepalive_s }),
  });
}

/** A telemetry report with a fresh msg_id. */
export function telemetryMsg(id: string, seq: number, ts = Date.now()): TelemetryMessage {
  return { v: 1, device_id: id, ts, msg_id: newMessageId(), seq, samples: { system: healthySystem }, ai: null, samplers: [], spool: { depth: 0, dropped_total: 0, mode: "disk", condition: null }, budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 } };
}

/** A diagnosis report with a fresh msg_id and diagnosis_id. */
export function diagnosisMsg(id: string, fault: DiagnosisMessage["verdict"]["fault"], ts = Date.now()): DiagnosisMessage {
  return { ...diagnosisBody(fault), v: 1, device_id: id, ts, msg_id: newMessageId() };
}

/**
 * `edge-fleet serve` as a child process on fixed ports and one SQLite file (or the store its config
 * names), so it can be killed with SIGKILL (no shutdown code runs) and started again where devices expect it.
 */
export class ChildFleet {
  readonly dir = mkdtempSync(join(tmpdir(), "edge-fault-"));
  readonly dbPath = join(this.dir, "fleet.db");
  mqttPort = 0;
  httpPort = 0;
  #child: ChildProcess | null = null;
  #config: FleetConfigInput;

  constructor(config: FleetConfigInput = {}) {
    this.#config = config;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  async start(): Promise<void> {
    if (!this.mqttPort) [this.mqttPort, this.httpPort] = [await freePort(), await freePort()];
    const c = this.#config;
    const cfg = { ...c, mqtt: { ...c.mqtt, host: "127.0.0.1", port: this.mqttPort }, http: { host: "127.0.0.1", port: this.httpPort }, store: c.store ?? { driver: "sqlite", path: this.dbPath }, log: { level: "warn" } };
    const file = join(this.dir, "fleet.json");
    writeFileSync(file, JSON.stringify(cfg));
    const child = spawn(process.execPath, ["broker/cli/main.ts", "serve", "--config", file], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    this.#child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`edge-fleet exited with ${child.exitCode}: ${stderr}`);
      if (await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`edge-fleet did not become ready: ${stderr}`);
  }

  /** SIGKILL: no graceful close, no DISCONNECT, no final writes. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
