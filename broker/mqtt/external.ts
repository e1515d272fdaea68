import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { filterFor, TOPIC_KINDS, TOPICS } from "../../shared/index.ts";
import type { FleetConfig } from "../config/schema.ts";
import type { IngestPipeline } from "../ingest/pipeline.ts";
import type { Logger } from "../log.ts";

type ExternalConfig = NonNullable<FleetConfig["mqtt"]["external"]>;

/** What the fleet needs from an external broker connection: start, stop, publish commands. */
export interface ExternalBrokerOptions {
  config: ExternalConfig;
  ingest: IngestPipeline;
  log: Logger;
  /** Session expiry: how long the broker keeps this replica's queue while it restarts. */
  sessionExpiryS?: number;
  connectTimeoutMs?: number;
}

/** The shared-subscription filters one replica consumes: every device-originated kind. */
export function sharedFilters(group: string): string[] {
  return TOPIC_KINDS.filter((k) => TOPICS[k].from === "device").map((k) => `$share/${group}/${filterFor(k)}`);
}

/**
 * External broker mode: devices connect to an existing MQTT broker or cluster (EMQX, HiveMQ,
 * Mosquitto); this replica connects as an MQTT 5 client and consumes with shared subscriptions, so
 * the broker splits the reports between replicas (MQTT 5.0 §4.8.2). Each message is acknowledged
 * only after IngestPipeline.handle stored it (MQTT.js calls handleMessage before the PUBACK): a
 * replica killed mid-message leaves it unacknowledged, and the broker delivers it again; the
 * pipeline's msg_id dedup makes that redelivery harmless.
 */
export class ExternalBroker {
  #o: ExternalBrokerOptions;
  #client: MqttClient | null = null;
  readonly clientId: string;
  /** No listeners of our own in this mode (kept for the same log line as the embedded broker). */
  readonly ports = { tcp: 0, tls: null, ws: null } as const;

  constructor(o: ExternalBrokerOptions) {
    this.#o = o;
    // two replicas with one client id would take each other's session over in a loop (MQTT 5.0
    // §3.1.4): the host name keeps the default unique per host; replicas on one host set client_id
    this.clientId = `${o.config.client_id}-${hostname()}`.slice(0, 64).replace(/[^A-Za-z0-9_.:-]/g, "_");
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Connects and subscribes; resolves once the subscriptions are granted, or fails with one clear sentence. */
  async start(): Promise<void> {
    const c = this.#o.config;
    const log = this.#o.log;
    const opts: IClientOptions = {
      clientId: this.clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.#o.sessionExpiryS ?? 3600 },
      reconnectPeriod: 1000,
      connectTimeout: this.#o.connectTimeoutMs ?? 10_000,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
      ...(c.ca_file ? { ca: readFileSync(c.ca_file), rejectUnauthorized: true } : {}),
    };
    const client = mqtt.connect(c.url, opts);
    this.#client = client;
    // consecutive ingest failures: the wait before the next redelivery doubles with each (the store is down)
    let failures = 0;
    client.handleMessage = (packet, done) => {
      // the connection this message came on: a failure drops this one, never a newer one
      const stream = client.stream;
      const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
      // The pipeline never throws for bad input; a throw here is the store failing, so no PUBACK: the
      // broker keeps the message for this session. MQTT 5 delivers an unacknowledged message again only
      // on a new connection (§4.4), and MQTT.js handles nothing else on this one meanwhile, so after a
      // backoff this connection is dropped: MQTT.js reconnects into the same session and the broker
      // redelivers it, instead of it waiting for some later reconnect. Nothing is acknowledged unstored.
      this.#o.ingest.handle(packet.topic, payload, null).then(
        () => {
          failures = 0;
          done();
        },
        (err: Error) => {
          failures++;
          const waitMs = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
          log.error({ err: err.message, topic: packet.topic, failures, retryInMs: waitMs }, "ingest failed; reconnecting so the broker delivers the message again");
          setTimeout(() => stream.destroy(), waitMs).unref();
        },
      );
    };
    client.on("error", (err) => log.warn({ err: err.message }, "external broker error"));
    client.on("reconnect", () => log.debug("reconnecting to the external broker"));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.removeListener("connect", ok);
        client.end(true);
        this.#client = null;
        reject(new Error(`cannot reach the external MQTT broker at ${redactUrl(c.url)} (${err.message}); check mqtt.external.url and credentials`));
      };
      const timer = setTimeout(() => fail(new Error("timed out")), opts.connectTimeout);
      const ok = () => {
        clearTimeout(timer);
        client.removeListener("error", onError);
        resolve();
      };
      const onError = (err: Error) => {
        clearTimeout(timer);
        fail(err);
      };
      client.once("connect", ok);
      client.once("error", onError);
    });
    const granted = await client.subscribeAsync(
      sharedFilters(c.share_group).map((topic) => topic),
      { qos: 1 },
    );
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) {
      await this.stop();
      throw new Error(`the external broker refused the shared subscriptions ${refused.map((g) => g.topic).join(", ")}; it must support MQTT 5 shared subscriptions and allow this user to read edge/v1/#`);
    }
    log.info({ url: redactUrl(c.url), clientId: this.clientId, group: c.share_group }, "consuming from the external broker");
  }

  /** Publishes a command through the external broker; resolves when it acknowledged a QoS 1 publish. */
  async publish(topic: string, payload: Buffer, qos: 0 | 1 = 1): Promise<void> {
    if (!this.#client) throw new Error("external broker not started");
    await this.#client.publishAsync(topic, payload, { qos });
  }

  /** Device connections belong to the external broker: this replica can list or drop none. */
  connectedIds(): string[] {
    return [];
  }

  disconnect(_deviceId: string): boolean {
    return false;
  }

  /** Kills the connection without DISCONNECT and without acknowledging what is in flight (tests: a crashed replica). */
  kill(): void {
    this.#client?.end(true);
    this.#client = null;
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client) await client.endAsync();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//[redacted]@");
}
