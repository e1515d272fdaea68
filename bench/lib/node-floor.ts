import { createServer, type Server, type Socket } from "node:net";

/**
 * The least any Node 24 agent on this host needs for the I/O our agent does, with none of its code and no
 * library (issue #9: "is the RSS target reachable at all?"): it loads the Node modules the agent's work
 * needs (net, http/https/tls, dns, child_process, zlib, crypto), holds one TCP connection (the MQTT
 * session) and writes a 700-byte report on it every minute, makes an HTTP request a minute (the status
 * page probe), listens on a local HTTP port (the passive endpoint), runs one child process (the audio
 * tools) and one DNS lookup. Run with the agent's own V8 flags and environment, from a copy of the same
 * Node binary, so that the difference between the agent and this process is the agent's code and libraries.
 */
export const NODE_FLOOR_SOURCE = `
const net = require("node:net"), http = require("node:http"), dns = require("node:dns"), zlib = require("node:zlib");
require("node:https"); require("node:tls");
const [sinkPort, httpPort] = process.argv.slice(1).map(Number);
const session = net.connect(sinkPort, "127.0.0.1").on("error", () => {});
const report = Buffer.alloc(700, 120);
const minute = () => {
  session.write(zlib.gzipSync(report));
  http.get({ host: "127.0.0.1", port: httpPort, path: "/" }, (r) => r.resume()).on("error", () => {});
  dns.lookup("localhost", () => {});
  require("node:crypto").randomUUID();
};
minute();
setInterval(minute, 60000);
http.createServer((q, r) => r.end()).listen(0, "127.0.0.1");
require("node:child_process").execFile("true", () => {});
`;

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
