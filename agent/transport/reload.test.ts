import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../tests/helpers/wait.ts";
import { resolveAgentConfig } from "../config/index.ts";
import { createTransport } from "./from-config.ts";
import type { MqttTransport } from "./mqtt.ts";
import { ConfigReloader } from "./reload.ts";

const state = (id: string) => () => ({ v: 1 as const, device_id: id, agent_version: "0.1.0", firmware_version: null, model: null, region: null, app_id: null, labels: {}, keepalive_s: 30 });

describe("config reload (SIGHUP)", () => {
  let broker: Aedes | undefined;
  let server: Server | undefined;
  let transport: MqttTransport | undefined;
  let dir = "";
  afterEach(async () => {
    await transport?.stop();
    if (broker) await new Promise<void>((r) => broker!.close(() => r()));
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
    transport = broker = server = undefined;
  });

  async function setup() {
    dir = mkdtempSync(join(tmpdir(), "reload-"));
    broker = await Aedes.createBroker();
    const connects: string[] = [];
    broker.on("client", (c) => connects.push(c.id));
    server = createServer(broker.handle);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const raw = (over: Record<string, unknown> = {}) => ({
      device: { id: "speaker-r" },
      mqtt: { url: `mqtt://127.0.0.1:${port}`, username: "speaker-r", password: "secret-one", reconnect: { first_connect_jitter_ms: 0 } },
      spool: { dir: join(dir, "spool"), max_messages: 100 },
      ...over,
    });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const cfg = resolveAgentConfig(raw(), "test config");
    const made = createTransport(cfg, { log, state: state("speaker-r") });
    transport = made.transport;
    await transport.start();
    await waitFor(() => transport!.connected, 5000, "connected");
    const cadences: [string, number][] = [];
    let next: unknown = raw();
    const reloader = new ConfigReloader(cfg, () => resolveAgentConfig(next, "test config"), {
      transport,
      spool: made.spool,
      setCadence: (k, s) => (cadences.push([k, s]), true),
      log,
    });
    return { reloader, connects, lines, cadences, spool: made.spool, setNext: (v: unknown) => (next = v), raw };
  }

  it("applies a valid config without dropping the connection when MQTT settings are unchanged", async () => {
    const s = await setup();
    await transport!.send("telemetry", telemetryFor(0));
    s.setNext(s.raw({ spool: { dir: join(dir, "spool"), max_messages: 10 }, cadence: { telemetry_s: 300 } }));
    const out = s.reloader.reload();
    expect(out).toMatchObject({ ok: true, reconnected: false });
    expect(s.cadences).toEqual([["telemetry", 300]]);
    expect(transport!.connected).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.connects).toEqual(["speaker-r"]);
    expect(s.reloader.config.spool.max_messages).toBe(10);
  });

  it("refuses an invalid config, keeps the old one, and logs why", async () => {
    const s = await setup();
    s.setNext(s.raw({ mqtt: { url: "http://wrong" }, cadence: { telemetry_s: 1 } }));
    const out = s.reloader.reload();
    expect(out.ok).toBe(false);
    expect((out as { error: string }).error).toMatch(/mqtt\.url/);
    expect((out as { error: string }).error).toMatch(/cadence\.telemetry_s/);
    expect(s.reloader.config.cadence.telemetry_s).toBe(60);
    expect(s.cadences).toEqual([]);
    expect(transport!.connected).toBe(true);
    expect(s.lines.some((l) => l.includes("configuration reload refused"))).toBe(true);
    expect(s.lines.join("\n")).not.toContain("secret-one");
  });

  it("reconnects at once when the MQTT settings changed", async () => {
    const s = await setup();
    s.setNext(s.raw({ mqtt: { url: s.raw().mqtt.url, username: "speaker-r", password: "secret-two", reconnect: { first_connect_jitter_ms: 0 } } }));
    expect(s.reloader.reload()).toMatchObject({ ok: true, reconnected: true });
    await waitFor(() => s.connects.length === 2 && transport!.connected, 5000, "reconnected");
  });

  it("refuses a change of device identity", async () => {
    const s = await setup();
    s.setNext(s.raw({ device: { id: "speaker-other" } }));
    expect(s.reloader.reload()).toMatchObject({ ok: false, error: expect.stringMatching(/restart the agent/) });
  });
});

function telemetryFor(seq: number) {
  return { v: 1 as const, device_id: "speaker-r", ts: Date.now(), msg_id: `msg${String(seq).padStart(8, "0")}`, seq, samples: {}, ai: null, samplers: [], spool: { depth: 0, dropped_total: 0, mode: "disk" as const, condition: null }, budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 } };
}
