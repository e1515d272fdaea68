import { lookup } from "node:dns/promises";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { connect as tlsConnect } from "node:tls";
import { maskString } from "../../../shared/redact.ts";

/** Resolves a host name to addresses; injectable so tests never touch the network's DNS. */
export type Resolver = (host: string, signal: AbortSignal) => Promise<string[]>;

/** The system resolver (getaddrinfo), the same path the voice app's connections take. */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** How one DNS lookup ended. */
export interface DnsOutcome {
  host: string;
  result: "ok" | "timeout" | "error";
  durationMs: number | null;
  addresses: string[];
  error: string | null;
}

/** Times one lookup, bounded by `timeoutMs`; a failure is data (ENOTFOUND names the cause). */
export async function resolveTimed(resolver: Resolver, host: string, timeoutMs: number, signal: AbortSignal, now = () => performance.now()): Promise<DnsOutcome> {
  if (isIP(host)) return { host, result: "ok", durationMs: 0, addresses: [host], error: null };
  const t0 = now();
  let timer: NodeJS.Timeout | undefined;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
      ac.signal.addEventListener("abort", () => resolve("timeout"), { once: true });
    });
    const r = await Promise.race([resolver(host, ac.signal), timeout]);
    if (r === "timeout") {
      ac.abort();
      return { host, result: "timeout", durationMs: null, addresses: [], error: `no answer within ${timeoutMs} ms` };
    }
    if (r.length === 0) return { host, result: "error", durationMs: now() - t0, addresses: [], error: "no address returned" };
    return { host, result: "ok", durationMs: now() - t0, addresses: r, error: null };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === "ENOTFOUND" ? "ENOTFOUND: the name does not resolve" : `${err.code ?? "error"}: ${err.message}`;
    return { host, result: "error", durationMs: now() - t0, addresses: [], error: maskString(what).slice(0, 200) };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** One connection attempt's target: where to connect and how far to go (TCP, then TLS, then an HTTP request). */
export interface AttemptTarget {
  address: string;
  port: number;
  /** SNI and Host header. */
  host: string;
  tls: boolean;
  tlsVerify: boolean;
  /** Request path for an HTTP TTFB; null stops after connect (and TLS). */
  httpPath: string | null;
}

/** What one attempt measured; a failed attempt keeps what it measured before failing. */
export interface AttemptOutcome {
  ok: boolean;
  failure: "timeout" | "refused" | "error" | null;
  error: string | null;
  connectMs: number | null;
  tlsMs: number | null;
  ttfbMs: number | null;
}

/**
 * Connects, optionally completes TLS and sends one GET, timing each step. The whole attempt is bounded
 * by `timeoutMs`, so a server that accepts and never answers is a timeout, not a hang.
 */
export function attempt(t: AttemptTarget, timeoutMs: number, signal: AbortSignal, now = () => performance.now()): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const out: AttemptOutcome = { ok: false, failure: null, error: null, connectMs: null, tlsMs: null, ttfbMs: null };
    const sockets: Socket[] = [];
    let settled = false;
    let stage = "TCP connect";
    const finish = (failure: AttemptOutcome["failure"], error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      for (const s of sockets) s.destroy();
      resolve({ ...out, ok: failure === null, failure, error: error ? maskString(error).slice(0, 200) : null });
    };
    const onAbort = () => finish("timeout", "aborted");
    const timer = setTimeout(() => finish("timeout", `no ${stage} within ${timeoutMs} ms`), timeoutMs);
    if (signal.aborted) return finish("timeout", "aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    const onError = (e: NodeJS.ErrnoException) => finish(e.code === "ECONNREFUSED" ? "refused" : "error", `${stage}: ${e.code ?? ""} ${e.message}`.trim());
    const t0 = now();
    const sock = netConnect({ host: t.address, port: t.port });
    sockets.push(sock);
    sock.on("error", onError);
    sock.once("connect", () => {
      out.connectMs = now() - t0;
      if (!t.tls) return afterTransport(sock);
      stage = "TLS handshake";
      const t1 = now();
      const tsock = tlsConnect({ socket: sock, servername: isIP(t.host) ? undefined : t.host, rejectUnauthorized: t.tlsVerify, ALPNProtocols: ["http/1.1"] });
      sockets.push(tsock);
      tsock.on("error", onError);
      tsock.once("secureConnect", () => {
        out.tlsMs = now() - t1;
        afterTransport(tsock);
      });
    });
    function afterTransport(s: Socket) {
      if (t.httpPath === null) return finish(null, null);
      stage = "HTTP response";
      const t2 = now();
      s.once("data", () => {
        out.ttfbMs = now() - t2;
        finish(null, null);
      });
      s.once("end", () => finish("error", "HTTP: connection closed before any response byte"));
      s.write(`GET ${t.httpPath} HTTP/1.1\r\nHost: ${t.host}\r\nUser-Agent: edge-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    }
  });
}
