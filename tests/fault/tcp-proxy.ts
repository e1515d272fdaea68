import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/**
 * How the link between agent and broker behaves. pass: bytes flow; cut: every connection is reset and new
 * ones are refused; blackhole: connections are accepted and read but nothing is forwarded either way (a
 * dead NAT entry, a Wi-Fi that lost its uplink); delay: every chunk is held `delayMs` before forwarding.
 */
export type LinkMode = "pass" | "cut" | "blackhole" | "delay";

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

/** A loopback TCP proxy in front of the broker whose link mode a test switches at will. */
export class FaultyLink {
  #target: { host: string; port: number };
  #server: Server | null = null;
  #pairs = new Set<Pair>();
  #timers = new Set<NodeJS.Timeout>();
  mode: LinkMode = "pass";
  delayMs = 0;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Switches the link; leaving cut or blackhole resets what is left (their byte streams are torn). */
  set(mode: LinkMode, delayMs = 0): void {
    const torn = mode === "cut" || this.mode === "blackhole" || this.mode === "cut";
    this.mode = mode;
    this.delayMs = delayMs;
    if (torn) this.#resetAll();
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    if (this.mode === "cut") {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    this.#pairs.add(pair);
    const drop = () => {
      client.destroy();
      pair.upstream?.destroy();
      this.#pairs.delete(pair);
    };
    client.on("error", drop);
    client.on("close", drop);
    // a black hole reads what the device sends and never opens the way to the broker
    if (this.mode === "blackhole") {
      client.on("data", () => {});
      return;
    }
    const upstream = createConnection(this.#target);
    pair.upstream = upstream;
    // in a black hole the broker's side may time out and close; the device must not hear of it
    const upstreamGone = () => (this.mode === "blackhole" ? (upstream.destroy(), (pair.upstream = null)) : drop());
    upstream.on("error", upstreamGone);
    upstream.on("close", upstreamGone);
    client.on("data", (chunk: Buffer) => this.#forward(chunk, upstream));
    upstream.on("data", (chunk: Buffer) => this.#forward(chunk, client));
  }

  #forward(chunk: Buffer, to: Socket): void {
    if (this.mode === "pass") to.write(chunk);
    else if (this.mode === "delay") {
      // equal delays fire in order, so the byte stream stays intact
      const t = setTimeout(() => {
        this.#timers.delete(t);
        if (!to.destroyed) to.write(chunk);
      }, this.delayMs);
      this.#timers.add(t);
    }
    // blackhole: dropped
  }

  #resetAll(): void {
    for (const p of this.#pairs) {
      p.client.resetAndDestroy();
      p.upstream?.destroy();
    }
    this.#pairs.clear();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#resetAll();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise((r) => server.close(r));
  }
}
