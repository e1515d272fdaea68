import type { NetworkSample } from "../../../shared/schemas/samples/network.ts";
import type { SystemSource } from "../types.ts";
import { jitter, median } from "./quality.ts";

export type Icmp = NonNullable<NetworkSample["icmp"]>;

/** Per-reply RTTs (`time=12.3 ms`, in order) and the summary's packet loss from iputils/busybox ping output. */
export function parsePing(text: string): { rtts: number[]; lossPct: number | null } {
  const rtts = [...text.matchAll(/time[=<]\s*([\d.]+)\s*ms/g)].map((m) => Number(m[1]));
  const loss = /([\d.]+)% packet loss/.exec(text);
  return { rtts, lossPct: loss ? Number(loss[1]) : null };
}

/**
 * ICMP echo through the system `ping` (it holds the capability or the ping_group_range permission we lack).
 * Not installed → absent; not permitted → unavailable; every echo lost → timeout with 100% loss.
 */
export async function runPing(source: SystemSource, program: string, host: string, count: number, timeoutMs: number, signal: AbortSignal): Promise<Icmp> {
  const args = ["-n", "-c", String(count), "-i", "0.2", "-W", "1", host];
  const r = await source.run(program, args, { timeoutMs, signal });
  const base = { host: host.slice(0, 253), rtt_median_ms: null, loss_pct: null, jitter_ms: null };
  if (r.absent) return { ...base, result: "absent" };
  const text = r.stdout.toString("utf8");
  if (/operation not permitted|permission denied|are you root/i.test(r.stderr + text)) return { ...base, result: "unavailable" };
  const { rtts, lossPct } = parsePing(text);
  if (r.timedOut && rtts.length === 0) return { ...base, result: "timeout" };
  if (rtts.length === 0) return { ...base, result: lossPct === 100 ? "timeout" : "error", loss_pct: lossPct };
  const r2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
  return { host: base.host, result: "ok", rtt_median_ms: r2(median(rtts)), loss_pct: lossPct ?? Math.round((1 - rtts.length / count) * 1000) / 10, jitter_ms: r2(jitter(rtts)) };
}
