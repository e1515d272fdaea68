import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import type { FleetConfig } from "./config/schema.ts";
import { FleetEvents } from "./events.ts";
import { buildApp } from "./http/app.ts";
import { httpUnits } from "./http/units.ts";
import { IngestPipeline } from "./ingest/pipeline.ts";
import { DeadLetterReplay } from "./ingest/replay.ts";
import type { Logger } from "./log.ts";
import { EmbeddedBroker } from "./mqtt/embedded.ts";
import { ExternalBroker } from "./mqtt/external.ts";
import { redisBackends, type BrokerBackends } from "./mqtt/cluster.ts";
import { Refusals } from "./mqtt/refusals.ts";
import { createStore } from "./store/index.ts";
import type { FleetStore } from "./store/types.ts";
import { TicketEngine } from "./tickets/engine.ts";
import { TicketActionsApi } from "./tickets/actions.ts";
import { WebhookNotifier } from "./notify/webhooks.ts";
import type { NotificationSink } from "./notify/types.ts";
import { Retention } from "./store/retention.ts";
import { encodeMessage, newMessageId, SCHEMA_VERSION, topicFor } from "../shared/index.ts";
import { CredentialWatch } from "./auth/credential-watch.ts";
import { generateSecret, hashSecret } from "./auth/secrets.ts";
import { systemScheduler, type Scheduler } from "./tickets/scheduler.ts";
import { CommandService, commandAckListener, commandStoreFor } from "./commands/index.ts";

export interface FleetOptions {
  config: FleetConfig;
  log: Logger;
  /** Injected by tests to share one store or to use a fake clock. */
  store?: FleetStore;
  now?: () => number;
  /** Injected by tests to drive periodic work (credential checks, ticket evaluation, retries) by hand. */
  scheduler?: Scheduler;
  /** Replaces the webhook notifier (tests record notifications). */
  notify?: NotificationSink;
  /** aedes message bus and persistence shared by several broker processes (broker/mqtt/cluster.ts redisBackends). */
  mqttBackends?: BrokerBackends;
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
  /** External broker mode (issue #9): this replica consumes from an existing broker instead of listening. */
  readonly external: ExternalBroker | null;
  readonly credentials: CredentialWatch;
  readonly scheduler: Scheduler;
  /** acknowledge, resolve, assign, comment, list incidents (broker/tickets/index.ts documents the API). */
  readonly ticketActions: TicketActionsApi;
  readonly notifier: WebhookNotifier;
  readonly retention: Retention;
  /** Remote commands: send, track, results and bundles (broker/commands). */
  readonly commands: CommandService;
  /** Replays a dead-lettered device report once its cause is fixed (broker/ingest/replay.ts). */
  readonly deadLetters: DeadLetterReplay;
  #log: Logger;
  #app: FastifyInstance | null = null;
  #ready = false;
  #backends: BrokerBackends | null;
  /** What EmbeddedBroker spreads into aedes at its start(); filled there from mqtt.cluster (no I/O in the constructor). */
  #brokerBackends: { mq?: unknown; persistence?: unknown };
  #ownBackends = false;
  httpPort = 0;

  constructor(o: FleetOptions) {
    this.config = o.config;
    this.#log = o.log;
    this.store = o.store ?? createStore(o.config.store, o.log.child({ unit: "store" }));
    this.refusals = new Refusals(o.log.child({ unit: "refusals" }));
    this.scheduler = o.scheduler ?? systemScheduler(o.now);
    this.notifier = new WebhookNotifier({ config: o.config.notify, store: this.store, scheduler: this.scheduler, log: o.log.child({ unit: "notify" }) });
    this.tickets = new TicketEngine({
      store: this.store,
      events: this.events,
      log: o.log.child({ unit: "tickets" }),
      config: o.config.tickets,
      scheduler: this.scheduler,
      notify: o.notify ?? this.notifier,
      requestVerification: (id) => this.#requestVerification(id),
    });
    this.ticketActions = new TicketActionsApi(this.tickets);
    this.retention = new Retention({ store: this.store, config: o.config, scheduler: this.scheduler, log: o.log.child({ unit: "retention" }) });
    this.ingest = new IngestPipeline({
      store: this.store,
      tickets: this.tickets,
      events: this.events,
      refusals: this.refusals,
      log: o.log.child({ unit: "ingest" }),
      maxPayloadBytes: o.config.mqtt.max_payload_bytes,
      historyPerDevice: o.config.registry.history_per_device,
      maxProcessingAttempts: o.config.registry.max_processing_attempts,
      ...(o.now ? { now: o.now } : {}),
    });
    this.deadLetters = new DeadLetterReplay({ store: this.store, ingest: this.ingest, now: this.scheduler.now, log: o.log.child({ unit: "ingest" }) });
    const m = o.config.mqtt;
    this.#backends = o.mqttBackends ?? null;
    this.#brokerBackends = o.mqttBackends ? { mq: o.mqttBackends.mq, persistence: o.mqttBackends.persistence } : {};
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
        serviceAccounts: m.service_accounts,
        ...(o.now ? { now: o.now } : {}),
      },
      o.log.child({ unit: "mqtt" }),
      this.#brokerBackends,
    );
    this.external =
      m.mode === "external" && m.external ? new ExternalBroker({ config: m.external, ingest: this.ingest, log: o.log.child({ unit: "mqtt-external" }) }) : null;
    if (m.mode === "external" && !m.external) throw new Error("mqtt.mode is external but mqtt.external is missing; set mqtt.external.url to the broker to consume from");
    this.commands = new CommandService({
      publish: (topic, payload, qos) => this.mqtt.publish(topic, payload, qos),
      events: this.events,
      // commands live in the fleet's own store (SQLite file or PostgreSQL schema), so replicas share them
      store: commandStoreFor(this.store),
      uploadOrigins: this.config.commands.bundle_upload_origins,
      log: o.log.child({ unit: "commands" }),
      ...(o.now ? { now: o.now } : {}),
    });
    this.credentials = new CredentialWatch({
      store: this.store,
      broker: this.broker,
      scheduler: this.scheduler,
      intervalMs: m.credential_check_interval_ms,
      log: o.log.child({ unit: "credentials" }),
    });
  }

  /** Sends a recovered device a `diagnose` command; its healthy answer verifies the recovery. */
  async #requestVerification(deviceId: string): Promise<void> {
    if (this.config.mqtt.mode !== "embedded") return;
    const now = this.scheduler.now();
    const req = { v: SCHEMA_VERSION, device_id: deviceId, ts: now, msg_id: newMessageId(), id: newMessageId(), issuer: "edge-fleet:verification", expires_at: now + 10 * 60_000, name: "diagnose" as const, args: {} };
    await this.broker.publish(topicFor("command", deviceId), encodeMessage("command", req));
  }

  /** Revokes a device's credential and drops its connection at once; false when it is not provisioned. */
  async revokeDevice(id: string): Promise<boolean> {
    if (!(await this.store.setCredentialStatus(id, "revoked"))) return false;
    this.broker.disconnect(id);
    this.#log.warn({ device: id }, "device revoked");
    return true;
  }

  /** Replaces a device's secret and drops the connection made with the old one; returns the new secret once, or null. */
  async rotateDevice(id: string): Promise<string | null> {
    const secret = generateSecret();
    if (!(await this.store.replaceSecret(id, await hashSecret(secret)))) return null;
    this.broker.disconnect(id);
    return secret;
  }

  /** Where commands are published: the embedded broker, or the external one in external mode. */
  get mqtt(): Pick<EmbeddedBroker, "publish"> {
    return this.external ?? this.broker;
  }

  get app(): FastifyInstance {
    if (!this.#app) throw new Error("fleet not started");
    return this.#app;
  }

  async start(): Promise<void> {
    await this.store.open();
    try {
      if (this.external) await this.external.start();
      else {
        if (this.config.mqtt.cluster && !this.#backends) {
          // Redis connections open here, not in the constructor; the broker reads the object at its start
          this.#backends = await redisBackends(this.config.mqtt.cluster.redis_url);
          this.#ownBackends = true;
          Object.assign(this.#brokerBackends, { mq: this.#backends.mq, persistence: this.#backends.persistence });
        }
        await this.broker.start();
      }
      if (!this.external) {
        // a PUBACK from the device for a cmd/req publish marks the command delivered
        const onAck = commandAckListener(this.commands);
        this.broker.aedes.on("ack", (packet) => onAck(packet as { topic?: string; payload?: unknown }));
      }
      await this.commands.start();
      this.credentials.start();
      this.tickets.start();
      this.retention.start();
      this.#app = await buildApp({ store: this.store, events: this.events, log: this.#log, ready: () => this.#ready, ...httpUnits(this) });
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
    await this.commands.stop();
    this.credentials.stop();
    this.tickets.stop();
    this.retention.stop();
    this.notifier.stop();
    await this.external?.stop();
    await this.broker.stop();
    await this.#backends?.close();
    if (this.#ownBackends) {
      // made from the config: a later start() connects afresh
      this.#backends = null;
      this.#ownBackends = false;
      delete this.#brokerBackends.mq;
      delete this.#brokerBackends.persistence;
    }
    await this.store.close();
  }
}
