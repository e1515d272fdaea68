import { DEVICE_ID_PATTERN } from "./ids.ts";
import { TOPIC_ROOT } from "./version.ts";

/**
 * Every MQTT topic of the protocol, as one typed map (the zigbee2mqtt model): the suffix under
 * `edge/v1/<deviceId>/`, who publishes it, and its QoS/retain policy.
 */
export const TOPICS = {
  state: { suffix: "state", from: "device", qos: 1, retain: true, doc: "Device state; retained, and also the Last Will (status offline)." },
  telemetry: { suffix: "telemetry", from: "device", qos: 1, retain: false, doc: "Periodic health samples (system, audio, network, AI latency)." },
  diagnosis: { suffix: "diagnosis", from: "device", qos: 1, retain: false, doc: "A diagnosis verdict with its evidence, steps and actions." },
  command: { suffix: "cmd/req", from: "fleet", qos: 1, retain: false, doc: "A command request from the fleet to the device." },
  progress: { suffix: "cmd/progress", from: "device", qos: 0, retain: false, doc: "Progress of a running command (best effort)." },
  response: { suffix: "cmd/res", from: "device", qos: 1, retain: false, doc: "Exactly one response per command, in the {status, data, error, id} envelope." },
  bundle: { suffix: "bundle", from: "device", qos: 1, retain: false, doc: "One chunk of a support bundle produced by a bundle command." },
} as const;

export type TopicKind = keyof typeof TOPICS;
export const TOPIC_KINDS = Object.keys(TOPICS) as TopicKind[];

/** The topic of one message kind for one device. */
export function topicFor(kind: TopicKind, deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/${TOPICS[kind].suffix}`;
}

/** The subscription filter that matches one kind for every device (`edge/v1/+/telemetry`). */
export function filterFor(kind: TopicKind): string {
  return `${TOPIC_ROOT}/+/${TOPICS[kind].suffix}`;
}

/** Everything under one device's namespace: the ACL boundary of a device identity. */
export function deviceNamespace(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/`;
}

const bySuffix = new Map<string, TopicKind>(TOPIC_KINDS.map((k) => [TOPICS[k].suffix, k]));

export type ParsedTopic = { ok: true; deviceId: string; kind: TopicKind } | { ok: false; reason: string };

/** Parses a topic of the namespace; anything else gets a reason, never a throw. */
export function parseTopic(topic: string): ParsedTopic {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return { ok: false, reason: `topic is outside the ${prefix} namespace` };
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf("/");
  if (slash < 0) return { ok: false, reason: "topic has no message kind after the device id" };
  const deviceId = rest.slice(0, slash);
  if (!DEVICE_ID_PATTERN.test(deviceId)) return { ok: false, reason: "topic carries an invalid device id" };
  const kind = bySuffix.get(rest.slice(slash + 1));
  if (!kind) return { ok: false, reason: `unknown message kind '${rest.slice(slash + 1)}'` };
  return { ok: true, deviceId, kind };
}
