/** The dashboard's API client: bearer token from sessionStorage, JSON in and out, errors as sentences. */
export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const KEY = "edge-fleet-token";

export class Api {
  get token(): string | null {
    return sessionStorage.getItem(KEY);
  }

  set token(t: string | null) {
    if (t) sessionStorage.setItem(KEY, t);
    else sessionStorage.removeItem(KEY);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token ?? ""}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const data = text ? (JSON.parse(text) as T & { error?: { message: string } }) : ({} as T & { error?: { message: string } });
    if (!res.ok) throw new ApiError(res.status, data.error?.message ?? `the server answered ${res.status}`);
    return data;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  /** An EventSource on an SSE route; EventSource cannot send headers, so the token rides in the query. */
  events(path: string): EventSource {
    const sep = path.includes("?") ? "&" : "?";
    return new EventSource(`${path}${sep}access_token=${encodeURIComponent(this.token ?? "")}`);
  }

  /** Downloads a file from an authenticated route. */
  async download(path: string, filename: string): Promise<void> {
    const res = await fetch(path, { headers: { authorization: `Bearer ${this.token ?? ""}` } });
    if (!res.ok) throw new ApiError(res.status, ((await res.json()) as { error?: { message: string } }).error?.message ?? `download failed (${res.status})`);
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement("a"), { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
