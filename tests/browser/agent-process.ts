/**
 * A real edge-agent process (`agent/cli/main.ts run`) for the browser test: its own config in a temp
 * dir, the fleet's MQTT port with provisioned credentials, the in-test cloud simulator, a capture tap
 * WAV instead of a microphone, and cadences short enough for a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeCaptureTap } from "../../scripts/demo-tap.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export interface AgentProcessOptions {
  id: string;
  secret: string;
  mqttUrl: string;
  /** The cloud simulator's base URLs (CloudSim.start()). */
  cloud: { url: string; wsUrl: string };
  /** What the capture tap holds: voice-level sound, or silence (a dead microphone path). */
  tap: "healthy" | "silent";
  /**
   * `off` leaves out the system sampler: it reports this host's CPU, and a loaded CI machine at 100%
   * would make a healthy speaker "short of resources".
   */
  system?: "on" | "off";
}

/** One agent process; `start()` writes its temp dir and spawns it, `stop()` ends it (SIGTERM, then SIGKILL) and removes the dir. */
export class AgentProcess {
  readonly id: string;
  #dir: string | null = null;
  #o: AgentProcessOptions;
  #child: ChildProcess | null = null;
  #stderr = "";

  constructor(o: AgentProcessOptions) {
    this.#o = o;
    this.id = o.id;
  }

  /** What the agent wrote on stderr (warnings and errors), for a failing test's message. */
  get stderr(): string {
    return this.#stderr;
  }

  start(): void {
    const o = this.#o;
    const dir = mkdtempSync(join(tmpdir(), `edge-agent-${o.id}-`));
    this.#dir = dir;
    const tap = join(dir, "capture-tap.wav");
    writeCaptureTap(tap, o.tap);
    const config = {
      device: { id: o.id, firmware_version: "fw-2.4.1", model: "speaker-s1", region: "eu", app_id: "app-browser" },
      mqtt: { url: o.mqttUrl, username: o.id, password: o.secret, keepalive_s: 10, reconnect: { initial_ms: 200, first_connect_jitter_ms: 0 } },
      // the schema's shortest telemetry cadence: figures with AI latency follow the start-up diagnosis within 10 s
      cadence: { telemetry_s: 10 },
      spool: { dir: join(dir, "spool") },
      samplers: {
        start_jitter_ms: 0,
        run: { system: { mode: o.system ?? "on" } },
        audio: { capture: { mode: "wav", wav_path: tap } },
        // no ping on every CI image (and no gateway on loopback): the AI-service TCP/HTTP probes measure the path
        // loopback connects on a loaded 2-core box can stall for tens of ms: that is not a bad home network
        network: { icmp: { mode: "off" }, attempts: 3, thresholds: { rtt_ms_max: 2000, jitter_ms_max: 1000 } },
      },
      cloud: {
        realtime: { url: o.cloud.wsUrl },
        status_page_url: o.cloud.url,
        api_key: "browser-test-key",
        // the start-up diagnosis and the technician's command are the only probe runs
        interval_s: 0,
        // a loaded 2-core CI box answers slowly; the test is about the capture path, not the latency budget
        latency_budget_first_ms: 15_000,
        latency_budget_total_ms: 30_000,
        passive: { enabled: false },
      },
      log: { level: "warn" },
    };
    const path = join(dir, "agent.json");
    writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
    const child = spawn(process.execPath, ["agent/cli/main.ts", "run", "--config", path], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-8000);
    });
    this.#child = child;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((res) => child.once("exit", () => res()));
      child.kill("SIGTERM");
      // the agent stops its units in order; a wedged one must not hold the test past its bound
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }
}
