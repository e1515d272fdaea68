import type { FastifyReply, FastifyRequest } from "fastify";

/** One open Server-Sent Events stream. */
export interface SseStream {
  send(event: string, data: unknown): void;
  onClose(fn: () => void): void;
  close(): void;
}

// proxies and load balancers drop idle connections after ~60 s; a comment line every 25 s keeps it open
const HEARTBEAT_MS = 25_000;

/**
 * Tracks the app's open SSE streams so that closing the app ends them: an event stream never goes
 * idle, so the HTTP server would otherwise wait for it forever on shutdown.
 */
export class SseHub {
  #open = new Set<SseStream>();

  get size(): number {
    return this.#open.size;
  }

  /** Takes over the reply and opens a text/event-stream on it. */
  open(req: FastifyRequest, reply: FastifyReply): SseStream {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // nginx buffers responses unless told not to, which would hold events back
      "x-accel-buffering": "no",
    });
    raw.write("retry: 3000\n: connected\n\n");
    const closers: (() => void)[] = [];
    let closed = false;
    const heartbeat = setInterval(() => raw.write(": ping\n\n"), HEARTBEAT_MS);
    const stream: SseStream = {
      send: (event, data) => {
        if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      onClose: (fn) => closers.push(fn),
      close: () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        this.#open.delete(stream);
        for (const fn of closers) fn();
        raw.end();
      },
    };
    this.#open.add(stream);
    // the response closes when the client goes away (req "close" only means the request was read)
    raw.on("close", () => stream.close());
    return stream;
  }

  closeAll(): void {
    for (const s of [...this.#open]) s.close();
  }
}
