import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";

/** What decides how the agent connects; a change to any of these needs a new connection. */
export interface ConnectionSettings {
  url: string;
  deviceId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM file of the CA (or the broker's own certificate) to pin; without it the system CAs are used. */
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Off only for a lab broker with a self-signed certificate; never in production. */
  rejectUnauthorized?: boolean | undefined;
  keepaliveS: number;
  connectTimeoutMs: number;
}

const KEYS = ["url", "deviceId", "username", "password", "caFile", "certFile", "keyFile", "rejectUnauthorized", "keepaliveS", "connectTimeoutMs"] as const;

/** True when two settings need different connections (SIGHUP reload keeps the connection otherwise). */
export function connectionChanged(a: ConnectionSettings, b: ConnectionSettings): boolean {
  return KEYS.some((k) => a[k] !== b[k]);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); check the path and its permissions`, { cause: err });
  }
}

/**
 * The broker's address from mqtt.url, read with the WHATWG URL parser. Given a URL string, MQTT.js parses
 * it with the legacy url.parse, and Node 24 prints a deprecation warning (DEP0169) on every start, which a
 * support engineer reading the journal would rightly ask about. Credentials in the URL are used when the
 * config sets none: mqtt.username/password, when set, take precedence (MQTT.js let the URL's win).
 */
export function brokerAddress(url: string): IClientOptions {
  const u = new URL(url);
  // mqtt: and tcp: are not "special" schemes to WHATWG, so their host stays percent-encoded; read the
  // host as an http URL would (IDN to punycode), and the port from the URL as written
  const hostname = new URL(url.replace(/^[a-z][a-z0-9+.-]*:/i, "http:")).hostname.replace(/^\[(.*)\]$/, "$1");
  const o: IClientOptions = { protocol: u.protocol.slice(0, -1) as IClientOptions["protocol"], hostname, host: hostname };
  if (u.port) o.port = Number(u.port);
  if (/^wss?:$/.test(u.protocol)) o.path = `${u.pathname}${u.search}`;
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  return o;
}

/**
 * MQTT.js options for one connection: persistent session under the device id (clean off, so QoS 1
 * commands queued while the device was away are delivered), no MQTT.js reconnect (we run our own backoff),
 * TLS with CA pinning and an optional client certificate. Reads the PEM files; throws a readable error.
 */
export function clientOptions(s: ConnectionSettings, env: NodeJS.ProcessEnv = process.env): IClientOptions {
  // MQTT.js would route the session through a SOCKS proxy named only in the environment; the agent has no
  // proxy setting and its executable carries no SOCKS client, so a proxy someone set is refused, not ignored
  if (env.MQTTJS_SOCKS_PROXY) {
    throw new Error("MQTTJS_SOCKS_PROXY is set in the agent's environment, but the agent connects to the broker directly and supports no SOCKS proxy; unset it");
  }
  const tls = /^(mqtts|wss|ssl):/.test(s.url);
  const o: IClientOptions = {
    clientId: s.deviceId,
    clean: false,
    keepalive: s.keepaliveS,
    connectTimeout: s.connectTimeoutMs,
    reconnectPeriod: 0,
    protocolVersion: 4,
    // our spool is the outgoing queue; MQTT.js' own would resend a dead connection's messages a second time
    queueQoSZero: false,
    resubscribe: false,
    // MQTT.js' default pre-builds 65,536 two-byte Buffers for packet ids on the first packet: 6.6 MB of
    // heap (issue #9 heap snapshot) to save one 2-byte allocation per publish every few seconds.
    writeCache: false,
  };
  if (s.username !== undefined) o.username = s.username;
  if (s.password !== undefined) o.password = s.password;
  if (tls) {
    o.rejectUnauthorized = s.rejectUnauthorized ?? true;
    if (s.caFile) o.ca = readPem(s.caFile, "mqtt.ca_file");
  }
  if (s.certFile || s.keyFile) {
    if (!s.certFile || !s.keyFile) throw new Error("mqtt.cert_file and mqtt.key_file go together; set both for a client certificate, or neither");
    o.cert = readPem(s.certFile, "mqtt.cert_file");
    o.key = readPem(s.keyFile, "mqtt.key_file");
  }
  return o;
}
