import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { TelemetryMessage } from "../../shared/index.ts";
import { waitFor } from "../helpers/fleet.ts";
import { makeServerPki } from "../helpers/pki.ts";
import { agentTransport, RestartableFleet, telemetry } from "../reliability/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "edge-tls-"));
const f = (n: string) => join(dir, n);

describe("connection over TLS (CA pinning) and WebSocket, with per-device credentials", () => {
  let fleet: RestartableFleet;
  let secret = "";
  const seen: TelemetryMessage[] = [];
  const transports: MqttTransport[] = [];

  beforeAll(async () => {
    makeServerPki(dir, { otherCa: true });
    fleet = new RestartableFleet({ mqtt: { tls: { port: 0, cert_file: f("server.pem"), key_file: f("server.key") }, ws: { port: 0 } } });
    const server = await fleet.start();
    secret = await fleet.provision("speaker-tls");
    server.events.on("telemetry", (t) => seen.push(t));
  });
  afterEach(async () => {
    for (const t of transports.splice(0)) await t.stop();
  });
  afterAll(async () => {
    await fleet.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("mqtts:// with the fleet's CA pinned delivers reports", async () => {
    const t = agentTransport({ url: `mqtts://127.0.0.1:${fleet.server!.broker.ports.tls}`, id: "speaker-tls", secret, spoolDir: null, caFile: f("ca.pem") });
    transports.push(t);
    await t.start();
    const msg = telemetry("speaker-tls", 101);
    await t.send("telemetry", msg);
    await waitFor(() => seen.find((s) => s.msg_id === msg.msg_id), 5000, "telemetry over TLS");
  });

  it("refuses a broker whose certificate the pinned CA did not sign", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    const t = agentTransport({ url: `mqtts://127.0.0.1:${fleet.server!.broker.ports.tls}`, id: "speaker-tls", secret, spoolDir: null, caFile: f("other.pem"), log });
    transports.push(t);
    await t.start();
    await t.send("telemetry", telemetry("speaker-tls", 102));
    const line = await waitFor(() => lines.find((l) => l.includes("mqtt connection problem")), 5000, "TLS refusal logged");
    expect(line).toMatch(/certificate|self.signed|unable to verify/i);
    expect(t.connected).toBe(false);
    expect(seen.find((s) => s.seq === 102)).toBeUndefined();
  });

  it("a CA file that cannot be read is a readable error at start", async () => {
    const t = agentTransport({ url: `mqtts://127.0.0.1:${fleet.server!.broker.ports.tls}`, id: "speaker-tls", secret, spoolDir: null, caFile: f("missing.pem") });
    await expect(t.start()).rejects.toThrow(/mqtt\.ca_file .*missing\.pem cannot be read \(ENOENT\)/);
  });

  it("ws:// delivers reports and answers the same way", async () => {
    const t = agentTransport({ url: `ws://127.0.0.1:${fleet.server!.broker.ports.ws}/`, id: "speaker-tls", secret, spoolDir: null });
    transports.push(t);
    await t.start();
    const msg = telemetry("speaker-tls", 103);
    await t.send("telemetry", msg);
    await waitFor(() => seen.find((s) => s.msg_id === msg.msg_id), 5000, "telemetry over WebSocket");
  });

  it("a wrong per-device secret is refused and nothing is accepted from it", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    const t = agentTransport({ url: fleet.url, id: "speaker-tls", secret: "not-the-secret-000000", spoolDir: null, log });
    transports.push(t);
    await t.start();
    const msg = telemetry("speaker-tls", 104);
    await t.send("telemetry", msg);
    await waitFor(() => lines.find((l) => l.includes("mqtt connection problem")), 5000, "auth refusal logged");
    expect(t.connected).toBe(false);
    expect(t.spoolStatus().depth).toBe(1);
  });
});
