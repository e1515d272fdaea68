import type { AgentConfig } from "../config/index.ts";
import { createLogger } from "../log.ts";
import { composeAgent } from "../runtime/compose.ts";
import { MqttTransport } from "../transport/mqtt.ts";
import { AGENT_VERSION } from "../version.ts";

/** `edge-agent run`: the service. Stops cleanly on SIGINT/SIGTERM. Returns -1: the process lives on. */
export async function runCommand(config: AgentConfig, _configPath: string): Promise<number> {
  const log = createLogger(config.log.level);
  const d = config.device;
  const transport = new MqttTransport({
    url: config.mqtt.url,
    deviceId: d.id,
    username: config.mqtt.username,
    password: config.mqtt.password,
    caFile: config.mqtt.ca_file,
    certFile: config.mqtt.cert_file,
    keyFile: config.mqtt.key_file,
    keepaliveS: config.mqtt.keepalive_s,
    connectTimeoutMs: config.mqtt.connect_timeout_ms,
    state: () => ({ v: 1, device_id: d.id, agent_version: AGENT_VERSION, firmware_version: d.firmware_version, model: d.model, region: d.region, app_id: d.app_id, labels: d.labels, keepalive_s: config.mqtt.keepalive_s }),
    log: log.child({ unit: "transport" }),
  });
  const composed = composeAgent(config, transport, log);
  await composed.start();
  log.info({ device: d.id, version: AGENT_VERSION }, "agent started");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    composed.stop().then(() => process.exit(0), (err: Error) => (log.error({ err }, "stop failed"), process.exit(1)));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return -1;
}
