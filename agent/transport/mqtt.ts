import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { encodeMessage, newMessageId, topicFor, TOPICS, type MessageOf, type StateMessage } from "../../shared/index.ts";
import type { Logger } from "../log.ts";
import type { DeviceKind, Transport } from "./types.ts";

export interface MqttTransportOptions {
  url: string;
  deviceId: string;
  username?: string | undefined;
  password?: string | undefined;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  keepaliveS: number;
  connectTimeoutMs: number;
  /** The retained state published on connect; the same with status offline is the Last Will. */
  state: () => Omit<StateMessage, "status" | "reason" | "msg_id" | "ts">;
  log: Logger;
  now?: () => number;
}

/** MQTT transport: retained state with a Last Will, persistent session, QoS 1 reports. */
export class MqttTransport implements Transport {
  #o: MqttTransportOptions;
  #client: MqttClient | null = null;
  #handlers: ((payload: Buffer) => void)[] = [];
  #bytesToday = 0;
  #now: () => number;

  constructor(o: MqttTransportOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  #stateMessage(status: "online" | "offline", reason: StateMessage["reason"]): StateMessage {
    return { ...this.#o.state(), status, reason, ts: this.#now(), msg_id: newMessageId() };
  }

  #options(): IClientOptions {
    const o = this.#o;
    return {
      clientId: o.deviceId,
      username: o.username,
      password: o.password,
      clean: false,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 1000,
      protocolVersion: 4,
      will: { topic: topicFor("state", o.deviceId), payload: encodeMessage("state", this.#stateMessage("offline", "will")), qos: 1, retain: true },
      ...(o.caFile ? { ca: readFileSync(o.caFile), rejectUnauthorized: true } : {}),
      ...(o.certFile && o.keyFile ? { cert: readFileSync(o.certFile), key: readFileSync(o.keyFile) } : {}),
    };
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.#o.url, this.#options());
    this.#client = client;
    client.on("connect", () => {
      this.#o.log.info({ url: this.#o.url }, "connected");
      client.subscribe(topicFor("command", this.#o.deviceId), { qos: 1 });
      this.#publish("state", this.#stateMessage("online", "startup"));
    });
    client.on("message", (_topic, payload) => {
      for (const h of this.#handlers) h(payload);
    });
    client.on("error", (err) => this.#o.log.warn({ err: err.message }, "mqtt error"));
    client.on("close", () => this.#o.log.debug("connection closed"));
  }

  #publish<K extends DeviceKind>(kind: K, message: MessageOf<K>): Promise<void> {
    const payload = encodeMessage(kind, message);
    const spec = TOPICS[kind];
    return new Promise((resolve, reject) => {
      this.#client!.publish(topicFor(kind, this.#o.deviceId), payload, { qos: spec.qos, retain: spec.retain }, (err) => {
        if (err) return reject(err);
        this.#bytesToday += payload.length;
        resolve();
      });
    });
  }

  async send<K extends DeviceKind>(kind: K, message: MessageOf<K>): Promise<void> {
    if (!this.#client) throw new Error("transport not started");
    await this.#publish(kind, message);
  }

  onCommand(handler: (payload: Buffer) => void): void {
    this.#handlers.push(handler);
  }

  spoolStatus() {
    return { depth: 0, dropped_total: 0, mode: "memory" as const, condition: null };
  }

  bytesSentToday(): number {
    return this.#bytesToday;
  }

  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    if (client.connected) await this.#publishOn(client, "state", this.#stateMessage("offline", "shutdown")).catch(() => undefined);
    await client.endAsync();
  }

  #publishOn<K extends DeviceKind>(client: MqttClient, kind: K, message: MessageOf<K>): Promise<void> {
    return client.publishAsync(topicFor(kind, this.#o.deviceId), encodeMessage(kind, message), { qos: 1, retain: TOPICS[kind].retain }).then(() => undefined);
  }
}
