import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { makeServerPki } from "../../tests/helpers/pki.ts";

/**
 * The least any Node 24 agent on this host needs for the I/O our agent does, with none of its code and no
 * library (issue #9: "is the RSS target reachable at all?"): it loads the Node modules the agent's work
 * needs (net, http/https/tls, dns, child_process, zlib, crypto), holds one connection (the MQTT session) and
 * writes a 700-byte report on it every minute, makes a web request a minute (the status page probe), listens
 * on a local HTTP port (the passive endpoint), runs one child process (the audio tools) and one DNS lookup.
 * Run with the agent's own V8 flags and environment, from a copy of the same Node binary, so that the
 * difference between the agent and this process is the agent's code and libraries.
 *
 * `tcp`: plain TCP and HTTP, as the benchmark's agent runs over loopback (argv: sink port, HTTP port).
 * `tls`: TLS and HTTPS, as devices connect in production (mqtts://, https://), trusting the public roots plus
 * the sink's CA, as a device's store does (argv: TLS sink port, HTTPS port, CA file).
 */
export function nodeFloorSource(transport: "tcp" | "tls"): string {
  const connect = transport === "tcp"
    ? `const session = net.connect(Number(a[0]), "127.0.0.1").on("error", fail);
const get = () => http.get({ host: "127.0.0.1", port: Number(a[1]), path: "/" }, (r) => r.resume()).on("error", () => {});`
    : `tls.setDefaultCACertificates([...tls.getCACertificates("default"), require("node:fs").readFileSync(a[2], "utf8")]);
const session = tls.connect({ port: Number(a[0]), host: "127.0.0.1" }).on("error", fail);
const get = () => https.get({ host: "127.0.0.1", port: Number(a[1]), path: "/" }, (r) => r.resume()).on("error", () => {});`;
  return `
const net = require("node:net"), http = require("node:http"), https = require("node:https"), tls = require("node:tls"), dns = require("node:dns"), zlib = require("node:zlib");
const a = process.argv.slice(1);
// a session that failed would leave a floor without its connection, quietly too low: the benchmark stops instead
const fail = (e) => { console.error(e.message); process.exit(3); };
${connect}
const report = Buffer.alloc(700, 120);
const minute = () => {
  session.write(zlib.gzipSync(report));
  get();
  dns.lookup("localhost", () => {});
  require("node:crypto").randomUUID();
};
minute();
setInterval(minute, 60000);
http.createServer((q, r) => r.end()).listen(0, "127.0.0.1");
require("node:child_process").execFile("true", () => {});
`;
}

/** A TCP server that accepts the floor's session and discards what it sends (it plays the broker). */
export async function startSink(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s)).on("error", () => undefined).resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The TLS floor's counterparts: a TLS server that discards the session's reports (the broker over mqtts) and an
 * HTTPS server (the cloud), with a throwaway CA made in `dir` (openssl).
 */
export async function startTlsSink(dir: string): Promise<{ port: number; webPort: number; caFile: string; stop: () => Promise<void> }> {
  makeServerPki(dir);
  const creds = { key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.pem")) };
  const sockets = new Set<Socket>();
  const sink = createTlsServer(creds, (s) => s.on("error", () => undefined).resume());
  // every connection, handshake finished or not, so that stop() never waits on one
  sink.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s)).on("error", () => undefined);
  });
  const web = createHttpsServer(creds, (_q, r) => r.end("ok"));
  const listen = (srv: Server) => new Promise<number>((resolve) => srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port)));
  const [port, webPort] = [await listen(sink), await listen(web)];
  return {
    port,
    webPort,
    caFile: join(dir, "ca.pem"),
    stop: async () => {
      for (const s of sockets) s.destroy();
      web.closeAllConnections();
      await Promise.all([sink, web].map((srv) => new Promise((resolve) => srv.close(() => resolve(undefined)))));
    },
  };
}
