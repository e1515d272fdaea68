import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { Recogniser } from "./content.ts";
import { FaultBook, SimStatusSchema, vendorError, type SimFaults, type SimFaultsInput, type SimStatus } from "./faults.ts";
import { serveHttpApi } from "./http-api.ts";
import { serveRealtime } from "./realtime.ts";
import { SimTimers } from "./timers.ts";

export interface CloudSimOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | null;
  readonly host?: string;
  /** Serve HTTPS and WSS with this certificate (PEM), as a real cloud does; plain HTTP/WS without it. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

/** Components the simulated status page lists (names follow a typical conversational-AI vendor page). */
const COMPONENTS = ["Realtime API", "Speech to text", "Text to speech", "Chat API"];

/**
 * The reference conversational-AI cloud: Realtime WebSocket subset at `/v1/realtime`, the HTTP adapter's
 * protocol at `/v1/chat` and `/v1/voice`, Statuspage v2 at `/api/v2/*.json`, and a control API
 * (`GET|POST|DELETE /_sim/faults`, `POST /_sim/status`, `GET /_sim/stats`). Tests, the demo and benchmarks share it.
 */
export class CloudSim {
  readonly faults = new FaultBook();
  readonly #opts: CloudSimOptions;
  #status: SimStatus = SimStatusSchema.parse({});
  #server: http.Server | null = null;
  #wss: WebSocketServer | null = null;
  #recogniser: Recogniser | null = null;
  readonly #timers = new SimTimers();
  readonly #stats = new Map<string, number>();
  #seq = 0;

  constructor(opts: CloudSimOptions = {}) {
    this.#opts = opts;
  }

  /** Listens (port 0 = any free port) and returns the base URLs. */
  async start(opts: { port?: number } = {}): Promise<{ url: string; wsUrl: string; port: number }> {
    if (this.#server) throw new Error("CloudSim already started");
    this.#recogniser = new Recogniser();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    wss.on("headers", (headers) => headers.push(`x-request-id: ${this.#nextId("req")}`));
    const route = (req: IncomingMessage, res: ServerResponse) => this.#route(req, res);
    const tls = this.#opts.tls;
    const server: http.Server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, route) : http.createServer(route);
    server.on("upgrade", (req, socket, head) => this.#upgrade(req, socket, head));
    this.#server = server;
    this.#wss = wss;
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, this.#opts.host ?? "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const host = this.#opts.host ?? "127.0.0.1";
    const [web, ws] = tls ? ["https", "wss"] : ["http", "ws"];
    return { url: `${web}://${host}:${port}`, wsUrl: `${ws}://${host}:${port}/v1/realtime`, port };
  }

  /** Closes every connection and timer; undoes start(). */
  async stop(): Promise<void> {
    this.#timers.clear();
    for (const c of this.#wss?.clients ?? []) c.terminate();
    this.#wss?.close();
    const server = this.#server;
    this.#server = null;
    this.#wss = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Replaces the injected faults (validated; unknown keys are refused by the control API). */
  setFaults(input: SimFaultsInput): SimFaults {
    return this.faults.set(input);
  }

  resetFaults(): void {
    this.faults.reset();
  }

  setStatus(input: Partial<SimStatus>): SimStatus {
    this.#status = SimStatusSchema.parse(input);
    return this.#status;
  }

  /** Requests served, by kind (`realtime_voice`, `http_text`, `status`...). */
  stats(): Record<string, number> {
    return Object.fromEntries(this.#stats);
  }

  #nextId(prefix: string): string {
    return `${prefix}_sim${(++this.#seq).toString(36).padStart(6, "0")}`;
  }

  #count(what: string): void {
    this.#stats.set(what, (this.#stats.get(what) ?? 0) + 1);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    const refuse = (status: number, body: object) => {
      const text = JSON.stringify(body);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nx-request-id: ${this.#nextId("req")}\r\nconnection: close\r\n\r\n${text}`);
    };
    if (path !== "/v1/realtime") return refuse(404, { error: { code: "not_found", message: `no WebSocket endpoint at ${path}` } });
    const auth = String(req.headers.authorization ?? "");
    const f = this.faults.handshakeRefusal();
    if (f?.auth_reject || (this.#opts.apiKey && auth !== `Bearer ${this.#opts.apiKey}`)) {
      return refuse(401, { error: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided." } });
    }
    if (f && f.http_status !== null) {
      return refuse(f.http_status, { error: { type: "sim_error", code: f.vendor_code ?? null, message: f.vendor_code ? vendorError(f.vendor_code).message : `injected HTTP ${f.http_status}` } });
    }
    const wss = this.#wss!;
    wss.handleUpgrade(req, socket, head, (ws) => {
      this.#count("realtime_session");
      serveRealtime(ws, req, { faults: this.faults, recogniser: this.#recogniser!, nextId: (p) => this.#nextId(p), count: (w) => this.#count(w) });
    });
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const deps = { faults: this.faults, recogniser: this.#recogniser!, apiKey: this.#opts.apiKey ?? null, nextId: (p: string) => this.#nextId(p), count: (w: string) => this.#count(w), at: (due: number, fn: () => void) => this.#timers.at(due, fn) };
    if (req.method === "POST" && path === "/v1/chat") return serveHttpApi("text", req, res, deps);
    if (req.method === "POST" && path === "/v1/voice") return serveHttpApi("voice", req, res, deps);
    if (req.method === "GET" && path.startsWith("/api/v2/")) {
      this.#count("status");
      return json(200, this.#statusPage(path));
    }
    if (path === "/_sim/faults" && req.method === "GET") return json(200, this.faults.current());
    if (path === "/_sim/faults" && req.method === "DELETE") { this.resetFaults(); return json(200, this.faults.current()); }
    if (path === "/_sim/stats" && req.method === "GET") return json(200, this.stats());
    if ((path === "/_sim/faults" || path === "/_sim/status") && req.method === "POST") {
      return readJson(req, (body) => {
        if (body === undefined) return json(400, { error: "the body is not valid JSON" });
        try {
          return json(200, path === "/_sim/faults" ? this.setFaults(body as SimFaultsInput) : this.setStatus(body as Partial<SimStatus>));
        } catch (err) {
          return json(400, { error: `invalid ${path} body: ${(err as Error).message}` });
        }
      });
    }
    json(404, { error: { code: "not_found", message: `no route ${req.method} ${path}` } });
  }

  #statusPage(path: string): unknown {
    const page = { id: "simcloud", name: "Reference Cloud", url: "http://sim", updated_at: new Date().toISOString() };
    const description = { none: "All Systems Operational", minor: "Minor Service Outage", major: "Partial System Outage", critical: "Major System Outage", maintenance: "Service Under Maintenance" }[this.#status.indicator];
    const components = COMPONENTS.map((name, i) => ({ id: `comp${i}`, name, status: this.#status.components[name] ?? "operational", group: false }));
    for (const [name, status] of Object.entries(this.#status.components)) if (!COMPONENTS.includes(name)) components.push({ id: name, name, status, group: false });
    const status = { indicator: this.#status.indicator, description };
    if (path.endsWith("/status.json")) return { page, status };
    if (path.endsWith("/components.json")) return { page, components };
    return { page, status, components, incidents: [], scheduled_maintenances: [] };
  }
}

function readJson(req: IncomingMessage, done: (body: unknown) => void): void {
  let text = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => { if (text.length < 65536) text += c; });
  req.on("end", () => {
    try {
      done(JSON.parse(text || "{}"));
    } catch {
      done(undefined);
    }
  });
}
