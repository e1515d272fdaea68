import { rmSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { formatIssues } from "../../shared/validation.ts";
import type { PassiveConfig } from "../probes/config.ts";
import { InteractionBatch, type InteractionEvent } from "./events.ts";

/** A batch of interactions is small; anything bigger is a misbehaving client. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The local endpoint the device's voice app reports its real interactions to: `POST /v1/interactions`
 * on loopback HTTP or a UNIX socket, zod-validated. Loopback/socket only: the endpoint has no auth, so
 * it must not be reachable from the network.
 */
export class PassiveServer {
  readonly #cfg: PassiveConfig;
  readonly #log: Logger;
  readonly #onEvents: (events: InteractionEvent[]) => void;
  #server: http.Server | null = null;

  constructor(cfg: PassiveConfig, log: Logger, onEvents: (events: InteractionEvent[]) => void) {
    this.#cfg = cfg;
    this.#log = log.child({ unit: "passive" });
    this.#onEvents = onEvents;
  }

  /** Listens; resolves with the address (`http://127.0.0.1:port` or the socket path). */
  async start(): Promise<string> {
    if (this.#server) throw new Error("PassiveServer already started");
    const server = http.createServer((req, res) => this.#handle(req, res));
    server.on("clientError", (_err, socket) => socket.destroy());
    this.#server = server;
    const path = this.#cfg.socket_path;
    if (path) rmSync(path, { force: true }); // a stale socket from a crash would make listen fail
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (path) server.listen(path, resolve);
      else server.listen(this.#cfg.port, this.#cfg.host, resolve);
    });
    const addr = server.address();
    const where = typeof addr === "string" ? addr : `http://${this.#cfg.host === "::1" ? "[::1]" : this.#cfg.host}:${(addr as AddressInfo).port}`;
    this.#log.info({ where }, "passive endpoint listening");
    return where;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.#cfg.socket_path) rmSync(this.#cfg.socket_path, { force: true });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== "/v1/interactions") return reply(404, { error: "POST interactions to /v1/interactions" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reply(413, { error: `body over ${MAX_BODY_BYTES} bytes; send at most 100 interactions per request` });
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return;
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(400, { error: "the body is not valid JSON; send an interaction object or an array of them" });
      }
      // parse by shape so the issues name the field, not "no union member matched"
      const parsed = Array.isArray(raw) ? InteractionBatch.options[1].safeParse(raw) : InteractionBatch.options[0].safeParse(raw);
      if (!parsed.success) return reply(400, { error: "invalid interaction", issues: formatIssues(parsed.error) });
      const events: InteractionEvent[] = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
      try {
        this.#onEvents(events);
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, "passive event handler failed");
      }
      reply(202, { accepted: events.length });
    });
  }
}
