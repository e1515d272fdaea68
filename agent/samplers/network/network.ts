import type { NetworkSample } from "../../../shared/schemas/samples/network.ts";
import type { Sampler, SystemSource } from "../types.ts";
import { type NetworkConfig, NetworkConfigSchema, parseTarget, type TargetConfig } from "./config.ts";
import { runPing } from "./icmp.ts";
import { readInterface } from "./iface.ts";
import { attempt, type DnsOutcome, resolveTimed, type Resolver, systemResolver } from "./probes.ts";
import { eModel, jitter, median, rpmForeign } from "./quality.ts";

type TargetResult = NetworkSample["targets"][number];
const r2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** Injection points for tests: DNS resolver and the clock used to time probes. */
export interface NetworkSamplerOptions {
  resolver?: Resolver;
  now?: () => number;
}

/**
 * Network quality for a voice conversation: default route and link, DNS, TCP/TLS/HTTP timings to the AI
 * service and reference targets (median, jitter, loss), ICMP where permitted, and E-model MOS and RPM.
 */
export class NetworkSampler implements Sampler<"network", NetworkSample, NetworkConfig> {
  readonly name = "network" as const;
  readonly configSchema = NetworkConfigSchema;
  readonly #source: SystemSource;
  readonly #resolver: Resolver;
  readonly #now: (() => number) | undefined;
  #cfg: NetworkConfig = NetworkConfigSchema.parse({});

  constructor(source: SystemSource, opts: NetworkSamplerOptions = {}) {
    this.#source = source;
    this.#resolver = opts.resolver ?? systemResolver;
    this.#now = opts.now;
  }

  init(config: NetworkConfig): void {
    this.#cfg = this.configSchema.parse(config);
  }

  async sample(signal: AbortSignal): Promise<NetworkSample> {
    const cfg = this.#cfg;
    const { iface, routeReadable } = await readInterface(this.#source);
    const targets = cfg.targets.map((t) => ({ cfg: t, p: parseTarget(t.url)! }));
    const hosts = [...new Set([...targets.map((t) => t.p.host), ...cfg.dns_hosts])].slice(0, 16);
    const dns = await Promise.all(hosts.map((h) => resolveTimed(this.#resolver, h, cfg.dns_timeout_ms, signal, this.#now)));
    const byHost = new Map(dns.map((d) => [d.host, d]));

    const tcpAll: number[] = [];
    const tlsAll: number[] = [];
    const httpAll: number[] = [];
    const targetResults: TargetResult[] = [];
    for (const t of targets) {
      const r = await this.#probeTarget(t.cfg, t.p, byHost.get(t.p.host)!, signal, { tcpAll, tlsAll, httpAll });
      targetResults.push(r);
    }

    const icmpHost = cfg.icmp.mode === "gateway" ? (iface?.gateway ?? null) : cfg.icmp.mode === "host" ? cfg.icmp.host : null;
    const icmp = icmpHost ? await runPing(this.#source, cfg.icmp.program, icmpHost, cfg.icmp.count, cfg.icmp.count * 1000 + 3000, signal) : null;

    const voice = this.#voice(icmp, targetResults, tcpAll, tlsAll, httpAll);
    const out: NetworkSample = {
      result: "ok",
      verdict: "ok",
      reason: "",
      interface: iface,
      dns: dns.map((d) => ({ host: d.host.slice(0, 253), result: d.result, duration_ms: r2(d.durationMs), addresses: d.addresses.length, error: d.error })),
      targets: targetResults,
      icmp,
      voice,
    };
    const v = judge(out, routeReadable, cfg);
    out.verdict = v.verdict;
    out.reason = v.reason.slice(0, 500);
    if (v.verdict === "unavailable") out.result = "unavailable";
    return out;
  }

  async #probeTarget(t: TargetConfig, p: NonNullable<ReturnType<typeof parseTarget>>, dns: DnsOutcome, signal: AbortSignal, all: { tcpAll: number[]; tlsAll: number[]; httpAll: number[] }): Promise<TargetResult> {
    const cfg = this.#cfg;
    const base = { name: t.name, host: p.host.slice(0, 253), port: p.port };
    if (dns.result !== "ok") {
      return { ...base, result: dns.result === "timeout" ? "timeout" : "error", attempts: 0, failures: 0, loss_pct: 100, connect_median_ms: null, jitter_ms: null, tls_handshake_ms: null, ttfb_ms: null, error: `DNS: ${dns.error ?? dns.result}`.slice(0, 200) };
    }
    const connect: number[] = [];
    const tls: number[] = [];
    const ttfb: number[] = [];
    const failures: { kind: string; error: string | null }[] = [];
    let made = 0;
    for (let i = 0; i < cfg.attempts && !signal.aborted; i++) {
      made++;
      const o = await attempt(
        { address: dns.addresses[0]!, port: p.port, host: p.host, tls: p.kind === "https", tlsVerify: t.tls === "verify", httpPath: p.path },
        cfg.attempt_timeout_ms,
        signal,
        this.#now,
      );
      if (o.connectMs !== null) connect.push(o.connectMs);
      if (!o.ok) {
        failures.push({ kind: o.failure ?? "error", error: o.error });
        continue;
      }
      if (o.tlsMs !== null) tls.push(o.tlsMs);
      if (o.ttfbMs !== null) ttfb.push(o.ttfbMs);
    }
    all.tcpAll.push(...connect);
    all.tlsAll.push(...tls);
    all.httpAll.push(...ttfb);
    const n = Math.max(made, 1);
    // the most common failure names the target's result when every attempt failed
    const worst = mostCommon(failures.map((f) => f.kind));
    const allFailed = failures.length >= n;
    return {
      ...base,
      result: allFailed ? (worst as TargetResult["result"]) : "ok",
      attempts: n,
      failures: failures.length,
      loss_pct: Math.round((failures.length / n) * 1000) / 10,
      connect_median_ms: r2(median(connect)),
      jitter_ms: r2(jitter(connect)),
      tls_handshake_ms: r2(median(tls)),
      ttfb_ms: r2(median(ttfb)),
      error: failures.at(-1)?.error ?? null,
    };
  }

  #voice(icmp: NetworkSample["icmp"], targets: readonly TargetResult[], tcp: number[], tls: number[], http: number[]): NetworkSample["voice"] {
    // ICMP is the purest RTT; otherwise the first reachable target (the AI service by convention)
    const t = targets.find((x) => x.connect_median_ms !== null);
    const rtt = icmp?.result === "ok" ? icmp.rtt_median_ms : (t?.connect_median_ms ?? null);
    if (rtt === null) return null;
    const jit = icmp?.result === "ok" ? (icmp.jitter_ms ?? 0) : (t?.jitter_ms ?? 0);
    const loss = icmp?.result === "ok" ? (icmp.loss_pct ?? 0) : (t?.loss_pct ?? 0);
    const v = this.#cfg.voice;
    const e = eModel(rtt, jit, loss, { ie: v.codec_ie, bpl: v.codec_bpl, codecDelayMs: v.codec_delay_ms, jitterBufferFactor: v.jitter_buffer_factor });
    return { r_factor: e.rFactor, mos: e.mos, rpm: rpmForeign(tcp, tls, http) };
  }
}

function mostCommon(xs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "error";
}

function judge(s: NetworkSample, routeReadable: boolean, cfg: NetworkConfig): { verdict: NetworkSample["verdict"]; reason: string } {
  const th = cfg.thresholds;
  if (!routeReadable) return { verdict: "unavailable", reason: "cannot read /proc/net/route: no routing information on this system" };
  if (!s.interface) return { verdict: "no_route", reason: "no default route: the device cannot reach anything beyond its local link" };
  if (s.interface.link === "down") return { verdict: "link_down", reason: `interface ${s.interface.name} has no link (cable, Wi-Fi association)` };
  const dnsFail = s.dns.filter((d) => d.result !== "ok");
  if (dnsFail.length > 0) return { verdict: "dns_failure", reason: `DNS failed for ${dnsFail.map((d) => `${d.host} (${d.error ?? d.result})`).join(", ")}` };
  const down = s.targets.filter((t) => t.result !== "ok");
  if (down.length > 0) return { verdict: "unreachable", reason: `unreachable: ${down.map((t) => `${t.name} ${t.host}:${t.port} (${t.result}: ${t.error ?? "no detail"})`).join("; ")}` };
  const lossy = [...s.targets.map((t) => ({ what: t.name, loss: t.loss_pct })), ...(s.icmp?.result === "ok" && s.icmp.loss_pct !== null ? [{ what: `ping ${s.icmp.host}`, loss: s.icmp.loss_pct }] : [])].filter((x) => x.loss > th.loss_pct_max);
  if (lossy.length > 0) return { verdict: "high_loss", reason: `loss above ${th.loss_pct_max}%: ${lossy.map((x) => `${x.what} ${x.loss}%`).join(", ")}` };
  const slow = s.targets.filter((t) => t.connect_median_ms !== null && t.connect_median_ms > th.rtt_ms_max);
  if (slow.length > 0) return { verdict: "high_latency", reason: `median connect RTT above ${th.rtt_ms_max} ms: ${slow.map((t) => `${t.name} ${t.connect_median_ms} ms`).join(", ")}` };
  const jittery = s.targets.filter((t) => t.jitter_ms !== null && t.jitter_ms > th.jitter_ms_max);
  if (jittery.length > 0) return { verdict: "high_jitter", reason: `jitter above ${th.jitter_ms_max} ms: ${jittery.map((t) => `${t.name} ${t.jitter_ms} ms`).join(", ")}` };
  const sig = s.interface.wifi?.signal_dbm ?? null;
  if (sig !== null && sig < th.wifi_signal_min_dbm) return { verdict: "weak_wifi", reason: `Wi-Fi signal ${sig} dBm is below ${th.wifi_signal_min_dbm} dBm` };
  const notes = [
    `default route via ${s.interface.name}${s.interface.gateway ? ` (${s.interface.gateway})` : ""}, link ${s.interface.link}`,
    s.interface.wifi ? `Wi-Fi ${s.interface.wifi.signal_dbm} dBm` : "no Wi-Fi",
    s.targets.length ? `${s.targets.length} target(s) reachable` : "no targets configured",
    s.icmp ? (s.icmp.result === "ok" ? `ping ${s.icmp.host} ${s.icmp.rtt_median_ms} ms` : `ping ${s.icmp.result}${s.icmp.result === "absent" ? " (ping not installed)" : s.icmp.result === "unavailable" ? " (not permitted)" : ""}`) : null,
    s.voice ? `MOS ${s.voice.mos}` : null,
  ].filter(Boolean);
  return { verdict: "ok", reason: notes.join("; ") };
}
