import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { LogRing } from "../../agent/bundle/log-ring.ts";
import { RecentReports } from "../../agent/bundle/recent.ts";
import { wireCommands } from "../../agent/commands/wire.ts";
import { createLogger as agentLogger } from "../../agent/log.ts";
import { Agent } from "../../agent/runtime/agent.ts";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { generateSecret, hashSecret } from "../../broker/auth/secrets.ts";
import { fleetConfig } from "../../broker/config/load.ts";
import { FleetServer } from "../../broker/fleet.ts";
import { createLogger as fleetLogger } from "../../broker/log.ts";
import type { DiagnosisMessage } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";
import { waitFor } from "../helpers/fleet.ts";
import { figure } from "../summary/figure.ts";
import { agentConfig, realTransport } from "../fault/helpers.ts";

const ID = "speaker-secret";

/** Every secret a deployment holds, each a value no code would produce by chance. */
const PLANTED = {
  cloudApiKey: "PLANTED-cloud-key-5e1f0c9a7b",
  adminToken: "PLANTED-admin-token-0123456789abcdef01234",
  wrongPassword: "PLANTED-wrong-password-77c1",
  webhookToken: "PLANTEDHOOKTOKEN9f8e7d",
  webhookBearer: "PLANTEDHOOKBEARER2a2b2c",
  diagToken: "PLANTEDDIAGTOKEN4455",
  diagBearer: "PLANTEDBEARER77aa88bb",
  diagParamKey: "PLANTEDPARAMKEY3311",
  diagPassword: "PLANTEDDIAGPASSWORD8080",
};

/** A device's diagnosis as a careless SDK might fill it: secrets in the error message, a log line and request parameters. */
function leakyDiagnosis(trigger: DiagnosisMessage["trigger"], commandId: string | null) {
  const d = diagnosisBody("cloud_outage", trigger, commandId);
  d.verdict.error_code = { code: "10101", family: "auth", message: `token expired (token=${PLANTED.diagToken}) for user admin password: ${PLANTED.diagPassword}`, http_status: 401 };
  d.verdict.evidence = [{ check: "text_probe", status: "fail", detail: `POST https://ai.example/v1/chat?api_key=${PLANTED.diagParamKey}&q=weather → 401` }];
  d.steps = [{ name: "text_probe", status: "fail", duration_ms: 80, detail: `request api_key=${PLANTED.diagParamKey} refused` }];
  d.log_excerpt = [`09:00:02 request failed Authorization: Bearer ${PLANTED.diagBearer}`];
  d.scenario = `asking for the weather (token=${PLANTED.diagToken})`;
  return d;
}

describe("planted secrets never appear in any output", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    delete process.env.EDGE_FLEET_ADMIN_TOKEN;
  });

  it("logs, tickets, incidents, webhooks, dead letters, bundles, command results, API responses, SSE and /metrics", async (ctx) => {
    const outputs = new Map<string, string[]>();
    const out = (name: string, text: string) => outputs.set(name, [...(outputs.get(name) ?? []), text]);

    // a webhook target that fails, so the retry and dead-letter paths (where errors get logged) run too
    const hook: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => (out("webhook payloads", body), res.writeHead(500).end()));
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => (hook.closeAllConnections(), hook.close(r))));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook?token=${PLANTED.webhookToken}`;

    // the fleet, its log captured as the operator's journal would get it
    const dir = mkdtempSync(join(tmpdir(), "edge-secrets-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    process.env.EDGE_FLEET_ADMIN_TOKEN = PLANTED.adminToken;
    const fleetLines: string[] = [];
    const fleet = new FleetServer({
      config: fleetConfig({
        mqtt: { host: "127.0.0.1", port: 0 },
        http: { host: "127.0.0.1", port: 0 },
        store: { driver: "sqlite", path: join(dir, "fleet.db") },
        notify: { webhooks: [{ name: "ops", url: hookUrl, headers: { authorization: `Bearer ${PLANTED.webhookBearer}` } }], max_attempts: 2, backoff_initial_ms: 10, timeout_ms: 500 },
        tickets: { group_wait_ms: 0 },
      }),
      log: fleetLogger("trace", { write: (s: string) => void fleetLines.push(s) }),
    });
    await fleet.start();
    cleanups.push(() => fleet.stop());
    const mqttPassword = generateSecret();
    const secrets: Record<string, string> = { ...PLANTED, mqttPassword };
    await fleet.store.addCredential({ id: ID, secretHash: await hashSecret(mqttPassword), status: "active", createdAt: Date.now(), labels: {} });
    const mqttUrl = `mqtt://127.0.0.1:${fleet.broker.ports.tcp}`;
    const api = `http://127.0.0.1:${fleet.httpPort}`;
    const auth = { authorization: `Bearer ${PLANTED.adminToken}` };
    const get = async (path: string, headers: Record<string, string> = auth) => {
      const r = await fetch(`${api}${path}`, { headers });
      const text = await r.text();
      out(`API ${path.split("?")[0]}`, text);
      return { status: r.status, text };
    };

    // someone tries the device's identity with a wrong password: refused, and the attempt is not logged verbatim
    const intruder = mqtt.connect(mqttUrl, { clientId: ID, username: ID, password: PLANTED.wrongPassword, reconnectPeriod: 0 });
    await new Promise<void>((r) => (intruder.once("error", () => r()), intruder.once("close", () => r())));
    intruder.end(true);
    expect(fleet.refusals.snapshot().auth_failed).toBe(1);

    // the live event stream, open while the device reports
    const sse = new AbortController();
    const sseText = fetch(`${api}/api/events?access_token=${PLANTED.adminToken}`, { signal: sse.signal }).then(async (r) => {
      let text = "";
      const reader = r.body!.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString();
        }
      } catch {
        /* aborted: the test has read enough */
      }
      return text;
    });

    // the agent as `edge-agent run` wires it: logger with the bundle ring, real transport, commands, bundle
    const spoolDir = mkdtempSync(join(tmpdir(), "spool-secrets-"));
    cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
    const cfg = agentConfig({ id: ID, secret: mqttPassword, url: mqttUrl, spoolDir, extra: { cloud: { api_key: PLANTED.cloudApiKey }, log: { level: "trace" } } });
    const knownSecrets = [cfg.mqtt.password!, cfg.cloud.api_key!];
    const ring = new LogRing(500, { knownSecrets });
    const agentLines: string[] = [];
    const log = agentLogger("trace", { write: (s: string) => void agentLines.push(s) }, [ring.stream]);
    const { transport }: { transport: MqttTransport } = realTransport(cfg, log);
    const recent = new RecentReports(20);
    const reporting = recent.wrap(transport);
    const agent = new Agent({
      deviceId: ID,
      transport: reporting,
      samples: { collect: async () => ({ samples: { system: healthySystem }, samplers: [] }) },
      diagnosis: { run: async (trigger, o) => leakyDiagnosis(trigger, o.commandId ?? null), aiSummary: () => null, budget: () => ({ probes_today: 0, probe_bytes_today: 0 }) },
      cadence: { telemetry_s: 3600, diagnosis_s: 86_400 },
      log,
    });
    const commands = wireCommands({
      deviceId: ID,
      transport: reporting,
      agent,
      log,
      bundleConfig: cfg,
      knownSecrets,
      logs: ring,
      recent,
      // a vendor SDK that puts the key it was given into its error message
      probeNow: async () => {
        throw new Error(`cloud refused the request: invalid key ${PLANTED.cloudApiKey}`);
      },
    });
    commands.start();
    cleanups.push(() => commands.stop());
    await transport.start();
    cleanups.push(() => transport.stop());
    await waitFor(() => transport.connected, 10_000, "agent connected");
    log.info({ mqtt: cfg.mqtt, cloud: { api_key: cfg.cloud.api_key } }, "settings in effect");

    await agent.reportTelemetry();
    await agent.runDiagnosis("manual");
    await waitFor(async () => (await fleet.store.listTickets()).length === 1, 10_000, "ticket opened");
    await waitFor(async () => (await fleet.store.listDeadLetters()).length === 1, 10_000, "webhook dead-lettered");

    // a technician runs commands through the API: a diagnosis, a failing probe, a support bundle
    const send = async (name: string) => {
      const r = await fetch(`${api}/api/devices/${ID}/commands`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ name }) });
      const text = await r.text();
      out("API POST commands", text);
      expect(r.status).toBe(202);
      const id = (JSON.parse(text) as { command: { id: string } }).command.id;
      await waitFor(async () => ["ok", "error"].includes((JSON.parse((await get(`/api/commands/${id}`)).text) as { command: { status: string } }).command.status), 10_000, `${name} answered`);
      return id;
    };
    await send("diagnose");
    await send("probe-now");
    const bundleId = await send("bundle");
    await waitFor(async () => (await fetch(`${api}/api/commands/${bundleId}/bundle`, { headers: auth })).status === 200, 10_000, "bundle stored");
    const bundle = await get(`/api/commands/${bundleId}/bundle?access_token=${PLANTED.adminToken}`, {});
    expect(bundle.status).toBe(200);
    expect(bundle.text).toContain("[redacted]"); // the config's secrets were there to redact

    const ticketId = (await fleet.store.listTickets())[0]!.id;
    const incidentId = (JSON.parse((await get("/api/incidents")).text) as { incidents: { id: number }[] }).incidents[0]!.id;
    for (const path of ["/api/me", "/api/devices", `/api/devices/${ID}`, `/api/devices/${ID}/history`, `/api/devices/${ID}/diagnoses`, "/api/tickets", `/api/tickets/${ticketId}`,
      "/api/tickets/export?format=csv", "/api/tickets/export?format=json", `/api/incidents/${incidentId}`, "/api/tokens", "/api/dead-letters", "/api/reports/sla", "/metrics"]) {
      expect((await get(path)).status).toBe(200);
    }
    // wrong tokens are refused without being echoed or logged
    expect((await get("/api/devices", { authorization: `Bearer ${PLANTED.adminToken}x` })).status).toBe(401);
    expect((await get(`/api/events?access_token=${PLANTED.webhookToken}`, {})).status).toBe(401);

    sse.abort();
    out("SSE /api/events", await sseText);
    out("tickets (store)", JSON.stringify(await fleet.store.listTickets()));
    out("dead letters (store)", JSON.stringify(await fleet.store.listDeadLetters()));
    out("command records (store)", JSON.stringify(await Promise.all([bundleId].map((id) => fleet.commands.get(id)))));
    await transport.stop();
    await fleet.stop();
    out("fleet log", fleetLines.join(""));
    out("agent log", agentLines.join(""));
    out("agent log ring", ring.lines().join("\n"));

    // the outputs were really produced: each carries what it should
    expect(outputs.get("SSE /api/events")!.join("")).toContain("diagnosis");
    expect(outputs.get("webhook payloads")!.length).toBe(2);
    expect(outputs.get("API /metrics")!.join("")).toContain("edge_fleet_");

    const leaks: string[] = [];
    for (const [name, texts] of outputs) for (const [sname, value] of Object.entries(secrets)) if (texts.some((t) => t.includes(value))) leaks.push(`${sname} in ${name}`);
    expect(leaks).toEqual([]);
    const bytes = [...outputs.values()].flat().reduce((n, t) => n + t.length, 0);
    figure(ctx, `${Object.keys(secrets).length} planted secrets × ${outputs.size} outputs (${Math.round(bytes / 1024)} KiB scanned): 0 leaks`);
  }, 60_000);
});
