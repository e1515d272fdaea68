import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

/**
 * A loopback TCP relay that counts the bytes each way. Put in front of the fleet's MQTT port and the
 * reference cloud, it measures everything the agent sends over the network (MQTT framing, pings, TLS-less
 * WebSocket and HTTP included) without touching the agent, and survives reconnects, which a per-client
 * counter in the broker does not.
 */
export class ByteCounter {
  /** Bytes from the client (the agent) to the upstream, and back. */
  sent = 0;
  received = 0;
  connections = 0;
  readonly #upstreamPort: number;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  constructor(upstreamPort: number) {
    this.#upstreamPort = upstreamPort;
  }

  /** Listens on 127.0.0.1 (any free port) and returns the port. */
  async start(): Promise<number> {
    const server = createServer((down) => {
      this.connections++;
      const up = connect(this.#upstreamPort, "127.0.0.1");
      for (const s of [down, up]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => (s === down ? up : down).destroy());
      }
      down.on("data", (d: Buffer) => (this.sent += d.length));
      up.on("data", (d: Buffer) => (this.received += d.length));
      down.pipe(up);
      up.pipe(down);
    });
    this.#server = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return (server.address() as AddressInfo).port;
  }

  /** Closes the listener and every relayed connection; undoes start(). */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
