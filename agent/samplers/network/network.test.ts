import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NetworkSample } from "../../../shared/schemas/samples/network.ts";
import { fixtureSource, ran } from "../fixtures.ts";
import { NetworkConfigSchema } from "./config.ts";
import { NetworkSampler } from "./network.ts";
import type { Resolver } from "./probes.ts";

const signal = new AbortController().signal;

/** /proc and /sys as on a device on Wi-Fi: default route via wlan0, counters, signal level. */
const WIFI_FILES = {
  "/proc/net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nwlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\nwlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n",
  "/sys/class/net/wlan0/operstate": "up\n",
  "/proc/net/dev": "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n wlan0: 123456 789 3 7 0 0 0 0 65432 321 1 2 0 0 0 0\n",
  "/proc/net/wireless": "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n wlan0: 0000   60.  -52.  -256        0      0      0      0      0        0\n",
};

/** Test resolver: loopback names resolve, `.invalid` fails as the real resolver would, `slow.test` never answers. */
const resolver: Resolver = (host) => {
  if (host.endsWith(".invalid")) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" }));
  if (host === "slow.test") return new Promise(() => undefined);
  return Promise.resolve(["127.0.0.1"]);
};

const servers: (Server | HttpServer)[] = [];
const sockets = new Set<Socket>();
function listen<S extends Server | HttpServer>(s: S): Promise<number> {
  servers.push(s);
  s.on("connection", (c: Socket) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)));
}

let certDir: string;
let cert: { key: Buffer; cert: Buffer } | null = null;
beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), "net-test-cert-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(certDir, "k.pem"), "-out", join(certDir, "c.pem"), "-days", "1", "-subj", "/CN=ai.test"], { stdio: "ignore" });
    cert = { key: readFileSync(join(certDir, "k.pem")), cert: readFileSync(join(certDir, "c.pem")) };
  } catch {
    cert = null;
  }
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of sockets) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function run(cfg: Record<string, unknown>, files: Record<string, string> = WIFI_FILES, programs = {}) {
  const s = new NetworkSampler(fixtureSource({ files, programs }), { resolver });
  s.init(NetworkConfigSchema.parse({ icmp: { mode: "off" }, attempts: 3, attempt_timeout_ms: 400, dns_timeout_ms: 200, ...cfg }));
  return NetworkSample.parse(await s.sample(signal));
}

describe("network sampler: interface", () => {
  it("reads the default route, gateway, link, counters and Wi-Fi signal", async () => {
    const s = await run({});
    expect(s.interface).toEqual({ name: "wlan0", gateway: "192.168.1.1", link: "up", rx_errors: 3, tx_errors: 1, rx_dropped: 7, tx_dropped: 2, wifi: { signal_dbm: -52, link_quality: 60 } });
    expect(s.verdict).toBe("ok");
  });

  it("no default route is no_route, a down link is link_down, a weak signal is weak_wifi", async () => {
    const noRoute = { ...WIFI_FILES, "/proc/net/route": WIFI_FILES["/proc/net/route"].split("\n").filter((l) => !l.includes("\t00000000\t0101")).join("\n") };
    expect((await run({}, noRoute)).verdict).toBe("no_route");
    expect((await run({}, { ...WIFI_FILES, "/sys/class/net/wlan0/operstate": "down\n" })).verdict).toBe("link_down");
    const weak = await run({}, { ...WIFI_FILES, "/proc/net/wireless": WIFI_FILES["/proc/net/wireless"].replace("-52.", "-83.") });
    expect(weak.verdict).toBe("weak_wifi");
    expect(weak.reason).toBe("Wi-Fi signal -83 dBm is below -75 dBm");
  });

  it("a machine without /proc/net/route is unavailable, not a crash", async () => {
    expect((await run({}, {})).verdict).toBe("unavailable");
  });
});

describe("network sampler: DNS", () => {
  it("an unresolvable .invalid name is dns_failure naming the host, and its target is not probed", async () => {
    const s = await run({ targets: [{ name: "ai", url: "https://api.nowhere.invalid/v1" }] });
    expect(s.verdict).toBe("dns_failure");
    expect(s.dns[0]).toMatchObject({ host: "api.nowhere.invalid", result: "error", addresses: 0 });
    expect(s.dns[0]!.error).toMatch(/ENOTFOUND/);
    expect(s.targets[0]).toMatchObject({ result: "error", attempts: 0, loss_pct: 100 });
  });

  it("a resolver that never answers is a DNS timeout", async () => {
    const s = await run({ dns_hosts: ["slow.test"] });
    expect(s.dns[0]).toMatchObject({ result: "timeout", duration_ms: null });
    expect(s.verdict).toBe("dns_failure");
  });
});

describe("network sampler: TCP, TLS and HTTP against loopback servers", () => {
  it("an HTTP server answers: connect, TTFB, no loss, an R-factor and MOS and an RPM", async () => {
    const port = await listen(createHttpServer((_q, r) => r.end("ok")));
    const s = await run({ targets: [{ name: "ai", url: `http://ai.test:${port}/health` }] });
    expect(s.verdict).toBe("ok");
    expect(s.targets[0]).toMatchObject({ result: "ok", attempts: 3, failures: 0, loss_pct: 0, tls_handshake_ms: null });
    expect(s.targets[0]!.ttfb_ms).not.toBeNull();
    expect(s.dns[0]).toMatchObject({ host: "ai.test", result: "ok", addresses: 1 });
    expect(s.voice!.mos).toBeGreaterThan(4);
    expect(s.voice!.rpm).toBeGreaterThan(0);
  });

  it("a delaying server: TTFB includes the delay; past the attempt timeout it is a timeout", async () => {
    const port = await listen(createHttpServer((_q, r) => void setTimeout(() => r.end("late"), 150)));
    const slow = await run({ attempts: 1, targets: [{ name: "ai", url: `http://ai.test:${port}/` }] });
    expect(slow.targets[0]!.result).toBe("ok");
    expect(slow.targets[0]!.ttfb_ms!).toBeGreaterThanOrEqual(145);
    const late = await run({ attempts: 2, attempt_timeout_ms: 50, targets: [{ name: "ai", url: `http://ai.test:${port}/` }] });
    expect(late.targets[0]).toMatchObject({ result: "timeout", failures: 2, loss_pct: 100 });
    expect(late.targets[0]!.error).toMatch(/no HTTP response within 50 ms/);
    expect(late.verdict).toBe("unreachable");
  });

  it("a black-holed port (accepts, never answers) times out the TLS handshake and the HTTP request", async () => {
    const port = await listen(createNetServer(() => undefined));
    const s = await run({ attempts: 2, attempt_timeout_ms: 100, targets: [{ name: "tls", url: `https://ai.test:${port}/` }, { name: "http", url: `http://ai.test:${port}/` }] });
    expect(s.targets.map((t) => [t.result, t.loss_pct])).toEqual([["timeout", 100], ["timeout", 100]]);
    expect(s.targets[0]!.error).toMatch(/TLS handshake/);
    expect(s.targets[0]!.connect_median_ms).not.toBeNull(); // TCP got through: the fault is above it
    expect(s.verdict).toBe("unreachable");
  });

  it("a closed port is refused", async () => {
    const probe = createNetServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const s = await run({ targets: [{ name: "ref", url: `tcp://127.0.0.1:${port}` }] });
    expect(s.targets[0]).toMatchObject({ result: "refused", failures: 3, loss_pct: 100, connect_median_ms: null });
  });

  it("a plain TCP target measures connect time and jitter only", async () => {
    const port = await listen(createNetServer((c) => c.end()));
    const s = await run({ attempts: 4, targets: [{ name: "ref", url: `tcp://127.0.0.1:${port}` }] });
    expect(s.targets[0]).toMatchObject({ result: "ok", attempts: 4, loss_pct: 0, ttfb_ms: null, tls_handshake_ms: null });
    expect(s.targets[0]!.jitter_ms).not.toBeNull();
    expect(s.dns).toEqual([{ host: "127.0.0.1", result: "ok", duration_ms: 0, addresses: 1, error: null }]);
  });

  it("HTTPS: TLS handshake and TTFB are measured; an unverifiable certificate is an error when verifying", async (ctx) => {
    if (!cert) return ctx.skip();
    const port = await listen(createHttpsServer(cert, (_q, r) => r.end("ok")));
    const lab = await run({ targets: [{ name: "ai", url: `https://ai.test:${port}/`, tls: "no_verify" }] });
    expect(lab.targets[0]!.result).toBe("ok");
    expect(lab.targets[0]!.tls_handshake_ms).not.toBeNull();
    expect(lab.targets[0]!.ttfb_ms).not.toBeNull();
    const strict = await run({ attempts: 1, targets: [{ name: "ai", url: `https://ai.test:${port}/` }] });
    expect(strict.targets[0]).toMatchObject({ result: "error", loss_pct: 100 });
    expect(strict.targets[0]!.error).toMatch(/TLS handshake: .*(self.signed|certificate)/i);
  });
});

describe("network sampler: ICMP through the system ping", () => {
  const PING_OK = "PING 192.168.1.1 (192.168.1.1) 56(84) bytes of data.\n64 bytes from 192.168.1.1: icmp_seq=1 ttl=64 time=10.0 ms\n64 bytes from 192.168.1.1: icmp_seq=2 ttl=64 time=14.0 ms\n64 bytes from 192.168.1.1: icmp_seq=3 ttl=64 time=12.0 ms\n64 bytes from 192.168.1.1: icmp_seq=5 ttl=64 time=12.0 ms\n\n--- 192.168.1.1 ping statistics ---\n5 packets transmitted, 4 received, 20% packet loss, time 803ms\n";

  it("pings the gateway: median, jitter, loss; 20% loss is high_loss and lowers the MOS", async () => {
    const s = await run({ icmp: { mode: "gateway" } }, WIFI_FILES, { ping: () => ran(PING_OK) });
    expect(s.icmp).toEqual({ host: "192.168.1.1", result: "ok", rtt_median_ms: 12, loss_pct: 20, jitter_ms: 2 });
    expect(s.verdict).toBe("high_loss");
    expect(s.voice!.mos).toBeLessThan(3.5);
  });

  it("no ping program is absent, no permission is unavailable", async () => {
    expect((await run({ icmp: { mode: "gateway" } })).icmp!.result).toBe("absent");
    const denied = await run({ icmp: { mode: "gateway" } }, WIFI_FILES, { ping: () => ran("", 2, "ping: socket: Operation not permitted") });
    expect(denied.icmp!.result).toBe("unavailable");
    expect(denied.verdict).toBe("ok");
  });
});
