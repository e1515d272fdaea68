import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import type { FleetConfig } from "./config/schema.ts";
import { FleetEvents } from "./events.ts";
import { buildApp } from "./http/app.ts";
import { IngestPipeline } from "./ingest/pipeline.ts";
import type { Logger } from "./log.ts";
import { EmbeddedBroker } from "./mqtt/embedded.ts";
import { Refusals } from "./mqtt/refusals.ts";
import { createStore } from "./store/index.ts";
import type { FleetStore } from "./store/types.ts";
import { TicketEngine } from "./tickets/engine.ts";

export interface FleetOptions {
  config: FleetConfig;
  log: Logger;
  /** Injected by tests to share one store or to use a fake clock. */
  store?: FleetStore;
  now?: () => number;
}

/**
 * The fleet server: store, broker, ingest, tickets and HTTP, composed. The constructor only wires;
 * `start()` opens the store and the ports, `stop()` closes each in reverse order.
 */
export class FleetServer {
  readonly config: FleetConfig;
  readonly events = new FleetEvents();
  readonly store: FleetStore;
  readonly refusals: Refusals;
  readonly tickets: TicketEngine;
  readonly ingest: IngestPipeline;
  readonly broker: EmbeddedBroker;
  #log: Logger;
  #app: FastifyInstance | null = null;
  #ready = false;
  httpPort = 0;

  constructor(o: FleetOptions) {
    this.config = o.config;
    this.#log = o.log;
    this.store = o.store ?? createStore(o.config.store);
    this.refusals = new Refusals(o.log.child({ unit: "refusals" }));
    this.tickets = new TicketEngine(this.store, this.events, o.log.child({ unit: "tickets" }));
    this.ingest = new IngestPipeline({
      store: this.store,
      tickets: this.tickets,
      events: this.events,
      refusals: this.refusals,
      log: o.log.child({ unit: "ingest" }),
      maxPayloadBytes: o.config.mqtt.max_payload_bytes,
      historyPerDevice: o.config.registry.history_per_device,
      ...(o.now ? { now: o.now } : {}),
    });
    const m = o.config.mqtt;
    this.broker = new EmbeddedBroker(
      m,
      {
        store: this.store,
        ingest: this.ingest,
        refusals: this.refusals,
        allowAnonymous: m.allow_anonymous,
        maxPayloadBytes: m.max_payload_bytes,
        maxTopicLevels: m.max_topic_levels,
        publishRate: m.publish_rate,
        connectRatePerMinute: m.connect_rate.per_minute_per_address,
        ...(o.now ? { now: o.now } : {}),
      },
      o.log.child({ unit: "mqtt" }),
    );
  }

  get app(): FastifyInstance {
    if (!this.#app) throw new Error("fleet not started");
    return this.#app;
  }

  async start(): Promise<void> {
    await this.store.open();
    try {
      await this.broker.start();
      this.#app = await buildApp({ store: this.store, events: this.events, log: this.#log, ready: () => this.#ready });
      await this.#app.listen({ port: this.config.http.port, host: this.config.http.host });
      this.httpPort = (this.#app.server.address() as AddressInfo).port;
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#ready = true;
    this.#log.info({ mqtt: this.broker.ports, http: this.httpPort }, "fleet ready");
  }

  async stop(): Promise<void> {
    this.#ready = false;
    await this.#app?.close();
    this.#app = null;
    await this.broker.stop();
    await this.store.close();
  }
}
