import { z } from "zod";
import { MESSAGE_SCHEMAS, SCHEMA_VERSION, TOPIC_KINDS, TOPIC_ROOT, TOPICS } from "../../shared/index.ts";

const SCHEMA_FORMAT = "application/schema+json;version=draft-07";

/** JSON Schema (draft-07) of a zod schema, with `unknown` rendered as "any value". */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: "draft-7", unrepresentable: "any", io: "input" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** The AsyncAPI 3 document of the device ⇄ fleet MQTT protocol, generated from shared/ (never edited by hand). */
export function renderAsyncApi(version: string): string {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const kind of TOPIC_KINDS) {
    const t = TOPICS[kind];
    messages[kind] = {
      name: kind,
      title: kind,
      summary: t.doc,
      contentType: "application/json",
      payload: { schemaFormat: SCHEMA_FORMAT, schema: jsonSchemaOf(MESSAGE_SCHEMAS[kind]) },
    };
    channels[kind] = {
      address: `${TOPIC_ROOT}/{deviceId}/${t.suffix}`,
      description: t.doc,
      parameters: { deviceId: { description: "The device id: 1-64 of [A-Za-z0-9_.:-], starting with a letter or digit; equals the MQTT client id and username." } },
      messages: { [kind]: { $ref: `#/components/messages/${kind}` } },
    };
    // operations are written from the device's point of view
    operations[`${t.from === "device" ? "send" : "receive"}_${kind}`] = {
      action: t.from === "device" ? "send" : "receive",
      channel: { $ref: `#/channels/${kind}` },
      summary: `${t.from === "device" ? "The device publishes" : "The device receives"}: ${t.doc}`,
      messages: [{ $ref: `#/channels/${kind}/messages/${kind}` }],
      bindings: { mqtt: { qos: t.qos, retain: t.retain, bindingVersion: "0.2.0" } },
    };
  }
  const doc = {
    asyncapi: "3.0.0",
    info: {
      title: "Edge support agent ⇄ fleet broker MQTT protocol",
      version,
      description: `Schema version ${SCHEMA_VERSION}. Every message carries v, device_id, ts (epoch ms) and msg_id (for idempotent handling of QoS 1 redeliveries). Generated from shared/ by scripts/gen-docs.ts; do not edit.`,
    },
    defaultContentType: "application/json",
    servers: {
      fleet: { host: "fleet.example.com:8883", protocol: "mqtts", description: "The fleet broker (embedded aedes, or an MQTT cluster in external mode). Also mqtt (TCP) and wss." },
    },
    channels,
    operations,
    components: { messages },
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
