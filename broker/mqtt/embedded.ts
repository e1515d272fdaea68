import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { Aedes } from "aedes";
import { limitPacketSize, maxPacketBytes } from "./packet-limit.ts";
import { WebSocketServer, createWebSocketStream } from "ws";
import type { FleetConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Refusals } from "./refusals.ts";
import { createHooks, type HookOptions } from "./hooks.ts";

export interface EmbeddedBrokerPorts {
  tcp: number;
  tls: number | null;
  ws: number | null;
}

function listen(server: NetServer | TlsServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} on ${host} is already in use (another MQTT broker?); set mqtt.port to a free port`) : err);
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The embedded aedes broker and its listeners (TCP, optional TLS and WebSocket). */
export class EmbeddedBroker {
  #cfg: FleetConfig["mqtt"];
  #hooks: HookOptions;
  #log: Logger;
  #aedes: Aedes | null = null;
  #servers: (NetServer | TlsServer | HttpServer)[] = [];
  #wss: WebSocketServer | null = null;
  ports: EmbeddedBrokerPorts = { tcp: 0, tls: null, ws: null };
  /** Message bus and persistence for aedes (issue #9, broker/mqtt/cluster.ts); in-memory when absent. */
  #backends: { mq?: unknown; persistence?: unknown };

  constructor(cfg: FleetConfig["mqtt"], hooks: HookOptions, log: Logger, backends: { mq?: unknown; persistence?: unknown } = {}) {
    this.#cfg = cfg;
    this.#hooks = hooks;
    this.#log = log;
    this.#backends = backends;
  }

  get aedes(): Aedes {
    if (!this.#aedes) throw new Error("broker not started");
    return this.#aedes;
  }

  get refusals(): Refusals {
    return this.#hooks.refusals;
  }

  async start(): Promise<void> {
    const c = this.#cfg;
    const aedes = await Aedes.createBroker({
      ...this.#backends,
      ...createHooks(this.#hooks),
      drainTimeout: c.drain_timeout_ms,
      // aedes' hard ceiling guards its trie; the configured depth is enforced (and counted) in authorizePublish
      maxTopicLevels: Math.max(100, c.max_topic_levels),
      // device ids are up to 64 characters; MQTT 3.1.1 only guarantees 23
      maxClientsIdLength: 64,
      connectTimeout: 10_000,
      ...(c.cluster ? { heartbeatInterval: c.cluster.heartbeat_interval_ms } : {}),
    });
    this.#aedes = aedes;
    // e.g. Redis unreachable while publishing a dead broker's wills (cluster mode): aedes retries at its
    // next check; without a listener the error event would end the process
    (aedes as unknown as NodeJS.EventEmitter).on("error", (err: Error) => this.#log.warn({ err: err.message }, "broker background task failed; it is retried"));
    aedes.on("clientError", (client, err) => this.#log.debug({ client: client?.id, err: err.message }, "client error"));
    aedes.on("connectionError", (client, err) => this.#log.debug({ client: client?.id, err: err.message }, "connection error"));
    // every listener hands its connections to aedes through this, which bounds the packets it will read
    const maxPacket = maxPacketBytes(c.max_payload_bytes);
    let unbounded = false;
    const handle = (conn: Parameters<Aedes["handle"]>[0], req?: Parameters<Aedes["handle"]>[1]) => {
      const client = aedes.handle(conn, req);
      const bounded = limitPacketSize(client, maxPacket, (announced) =>
        this.#hooks.refusals.record("oversized", client.id ?? null, `packet of ${announced} bytes announced (limit ${maxPacket}); connection closed before reading it`),
      );
      if (!bounded && !unbounded) {
        unbounded = true;
        this.#log.warn("this aedes version's parser cannot be bounded: packets are read whole before max_payload_bytes is checked");
      }
      return client;
    };

    const tcp = createNetServer(handle);
    this.#servers.push(tcp);
    this.ports.tcp = await listen(tcp, c.port, c.host);
    if (c.tls) {
      const tls = createTlsServer(
        {
          cert: readFileSync(c.tls.cert_file),
          key: readFileSync(c.tls.key_file),
          ...(c.tls.ca_file ? { ca: readFileSync(c.tls.ca_file) } : {}),
          requestCert: c.tls.require_client_cert,
          rejectUnauthorized: c.tls.require_client_cert,
        },
        handle,
      );
      this.#servers.push(tls);
      this.ports.tls = await listen(tls, c.tls.port, c.host);
    }
    if (c.ws) {
      const http = createHttpServer((_req, res) => res.writeHead(426).end("MQTT over WebSocket only\n"));
      // ws buffers a whole frame (100 MiB by default) before the MQTT parser sees a byte: the same bound here
      this.#wss = new WebSocketServer({ server: http, maxPayload: maxPacket + 16, handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : false) });
      this.#wss.on("connection", (ws, req) => handle(createWebSocketStream(ws), req));
      // ws re-emits the HTTP server's errors (EADDRINUSE) on itself: without a listener they would crash
      // the process instead of reaching listen()'s one-sentence error
      this.#wss.on("error", (err) => this.#log.debug({ err: err.message }, "websocket listener error"));
      this.#servers.push(http);
      this.ports.ws = await listen(http, c.ws.port, c.host);
    }
    this.#log.info({ ports: this.ports }, "mqtt listening");
  }

  /** Closes a device's connection (revoked, rotated). Its Last Will fires, so the registry marks it offline. */
  disconnect(deviceId: string): boolean {
    const client = (this.#aedes as unknown as { clients: Record<string, { close(): void }> } | null)?.clients[deviceId];
    if (!client) return false;
    client.close();
    return true;
  }

  /** Client ids currently connected. */
  connectedIds(): string[] {
    const clients = (this.#aedes as unknown as { clients: Record<string, unknown> } | null)?.clients;
    return clients ? Object.keys(clients) : [];
  }

  /** Publishes from the fleet itself (commands); QoS 1 messages are queued for offline persistent sessions. */
  publish(topic: string, payload: Buffer, qos: 0 | 1 = 1): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish({ cmd: "publish", topic, payload, qos, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  async stop(): Promise<void> {
    // aedes first: it closes every client, without which the listeners' close would wait for them
    if (this.#aedes) await new Promise<void>((r) => this.#aedes!.close(() => r()));
    this.#aedes = null;
    this.#wss?.close();
    for (const s of this.#servers) (s as Partial<HttpServer>).closeAllConnections?.();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#servers = [];
  }
}
