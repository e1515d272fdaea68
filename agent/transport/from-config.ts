import type { AgentConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { Spool, type SpoolLimits } from "../spool/spool.ts";
import { MqttTransport, type MqttReloadable, type MqttTransportOptions } from "./mqtt.ts";

/** The transport settings of a validated agent config. */
export function mqttSettings(cfg: AgentConfig): MqttReloadable {
  const m = cfg.mqtt;
  return {
    url: m.url,
    deviceId: cfg.device.id,
    username: m.username,
    password: m.password,
    caFile: m.ca_file,
    certFile: m.cert_file,
    keyFile: m.key_file,
    keepaliveS: m.keepalive_s,
    connectTimeoutMs: m.connect_timeout_ms,
    reconnect: { initialMs: m.reconnect.initial_ms, maxMs: m.reconnect.max_ms, firstConnectJitterMs: m.reconnect.first_connect_jitter_ms },
  };
}

/** The spool bounds of a validated agent config. */
export function spoolLimits(cfg: AgentConfig): SpoolLimits {
  return { maxMessages: cfg.spool.max_messages, maxBytes: cfg.spool.max_bytes, memoryFallbackMessages: cfg.spool.memory_fallback_messages };
}

/** Builds the spool and the MQTT transport from the config (no I/O: both open in transport.start()). */
export function createTransport(cfg: AgentConfig, o: { log: Logger; state: MqttTransportOptions["state"]; now?: () => number; random?: () => number }): { transport: MqttTransport; spool: Spool } {
  const spool = new Spool({ dir: cfg.spool.dir, ...spoolLimits(cfg), log: o.log.child({ unit: "spool" }), ...(o.now ? { now: o.now } : {}) });
  const transport = new MqttTransport({ ...mqttSettings(cfg), state: o.state, log: o.log.child({ unit: "transport" }), spool, ...(o.now ? { now: o.now } : {}), ...(o.random ? { random: o.random } : {}) });
  return { transport, spool };
}
