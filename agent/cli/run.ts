import { LogRing } from "../bundle/log-ring.ts";
import { RecentReports } from "../bundle/recent.ts";
import { wireCommands } from "../commands/wire.ts";
import { loadAgentConfig, type AgentConfig } from "../config/index.ts";
import { createLogger } from "../log.ts";
import { resolveApiKey, runProbes } from "../probes/index.ts";
import { composeAgent } from "../runtime/compose.ts";
import { Watchdog } from "../runtime/watchdog.ts";
import { createTransport } from "../transport/from-config.ts";
import { ConfigReloader } from "../transport/reload.ts";
import { AGENT_VERSION } from "../version.ts";
import { join } from "node:path";

/** Secret values to mask wherever they might surface (bundles, log ring, errors), the key file's included. */
async function knownSecrets(c: AgentConfig): Promise<string[]> {
  const fromFile = await resolveApiKey(c.cloud);
  return [c.mqtt.password, c.cloud.api_key, fromFile.ok ? fromFile.key : null].filter((s): s is string => typeof s === "string" && s.length >= 4);
}

/**
 * Adds a reloaded config's secrets (a rotated MQTT password, a new API key) to the list the log ring,
 * bundles and command errors mask: they hold this very array, so it grows in place. The old values
 * stay masked too: they may still be in the log ring.
 */
export async function rememberSecrets(into: string[], c: AgentConfig): Promise<void> {
  for (const s of await knownSecrets(c)) if (!into.includes(s)) into.push(s);
}

/**
 * `edge-agent run`: the service. SIGHUP reloads the config (a bad one is refused and the running one
 * stays); SIGINT/SIGTERM stop every unit in order. Returns -1: the process lives on.
 */
export async function runCommand(config: AgentConfig, configPath: string): Promise<number> {
  const secrets: string[] = [];
  await rememberSecrets(secrets, config);
  const ring = new LogRing(500, { knownSecrets: secrets });
  const log = createLogger(config.log.level, undefined, [ring.stream]);
  const d = config.device;
  const { transport, spool } = createTransport(config, {
    log,
    state: () => ({ v: 1, device_id: d.id, agent_version: AGENT_VERSION, firmware_version: d.firmware_version, model: d.model, region: d.region, app_id: d.app_id, labels: d.labels, keepalive_s: config.mqtt.keepalive_s }),
  });
  const recent = new RecentReports(20);
  const reporting = recent.wrap(transport);
  const composed = composeAgent(config, reporting, log, { logExcerpt: () => ring.lines(30) });
  const commands = wireCommands({
    deviceId: d.id,
    transport: reporting,
    agent: composed.agent,
    log,
    bundleConfig: config,
    knownSecrets: secrets,
    logs: ring,
    recent,
    handledFile: join(config.spool.dir, "handled-commands.json"),
    probeNow: async (probes, signal) => {
      const set = await runProbes(config.cloud, { signal, log });
      const want = new Set(probes ?? ["voice", "text", "status_page"]);
      return { voice: want.has("voice") ? set.voice : null, text: want.has("text") ? set.text : null, status_page: want.has("status_page") ? set.status : null };
    },
  });
  const watchdog = new Watchdog({ log: log.child({ unit: "watchdog" }), healthy: () => true });
  const reloader = new ConfigReloader(config, () => loadAgentConfig(configPath), { transport, spool, setCadence: (k, s) => composed.agent.setCadence(k, s), log });

  commands.start();
  await composed.start();
  await watchdog.start(`reporting as ${d.id}`);
  log.info({ device: d.id, version: AGENT_VERSION }, "agent started");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    // a stop that cannot finish (a peer that never answers) must not keep the process alive forever
    setTimeout(() => {
      log.error("stop did not finish within 15 s; exiting anyway (spooled reports are on disk)");
      process.exit(1);
    }, 15_000).unref();
    watchdog
      .stop()
      .then(() => composed.stop())
      .then(() => commands.stop())
      .then(() => process.exit(0), (err: Error) => (log.error({ err }, "stop failed"), process.exit(1)));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGHUP", () => {
    const r = reloader.reload();
    if (r.ok) void rememberSecrets(secrets, r.config).catch((err: Error) => log.warn({ err: err.message }, "could not read the reloaded secrets to mask them"));
  });
  return -1;
}
