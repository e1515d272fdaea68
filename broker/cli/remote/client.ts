/** A small client of the fleet's REST API for the CLI: bearer token, JSON, errors as one sentence. */
export class RemoteError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RemoteError";
    this.status = status;
  }
}

export interface SseEvent {
  event: string;
  data: unknown;
}

export class RemoteClient {
  readonly url: string;
  #token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new RemoteError(0, `cannot reach the fleet at ${this.url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); check --url or EDGE_FLEET_URL`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = `the fleet answered ${res.status}`;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        /* not JSON: keep the status */
      }
      throw new RemoteError(res.status, message);
    }
    return (res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  /** Reads a Server-Sent Events stream until `signal` aborts; each event is parsed JSON. */
  async *events(path: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
    const res = await fetch(this.url + path, { headers: { authorization: `Bearer ${this.#token}`, accept: "text/event-stream" }, signal });
    if (!res.ok || !res.body) throw new RemoteError(res.status, `cannot follow ${path}: the fleet answered ${res.status}`);
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let sep: number;
      while ((sep = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }
}
