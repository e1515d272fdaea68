/**
 * Probe accuracy (issue #9, benchmark 5): the agent's own probes (agent/probes runProbes, realtime and
 * http adapters, voice and text run together as the agent runs them) against the reference cloud with
 * an injected delay before the first delta. Error = the reported response latency (first delta after the
 * request was written, shared responseLatencyMs) − injected. The floor, measured in the
 * same run against the same simulator, is a bare client that only times the first delta.
 */
import { cpus, loadavg } from "node:os";
import { runProbes, ProbesConfigSchema, type ProbesConfig } from "../agent/probes/index.ts";
import { REALTIME_INPUT_RATE_HZ } from "../agent/probes/realtime.ts";
import { loadUtterance, utterancePcm16 } from "../agent/probes/utterance.ts";
import { responseLatencyMs } from "../shared/probe-latency.ts";
import type { ProbeRun } from "../shared/schemas/probes.ts";
import type { BenchResult, Figure } from "./lib/report.ts";
import { bareHttp, bareRealtime } from "./probe/bare-client.ts";
import { startSimProcess } from "./probe/sim-process.ts";
import { wakeLatencyProbe } from "./probe/wake-latency.ts";
import { errorStats, SERIES, type GroupStats, type Sample, type Series } from "./probe/stats.ts";

const DELAYS_MS = [0, 100, 250, 500, 1000];
const REPS = 6;
/** The issue's bound: the agent reports time to first audio/text within ±10 ms of the injected delay. */
const TARGET_MS = 10;
const KEY = "sk-bench-probe-key";

interface Round {
  agent: Partial<Record<Series, number | null>>;
  bare: Partial<Record<Series, number | null>>;
}

/** One round at the current delay: the agent's two adapters, then the bare clients with the same payloads. */
async function round(cfg: { rt: ProbesConfig; http: ProbesConfig }, urls: { url: string; wsUrl: string }, pcm: { rt: Buffer; http: Buffer }): Promise<Round> {
  const r = await runProbes(cfg.rt, { apiKey: KEY });
  const h = await runProbes(cfg.http, { apiKey: KEY });
  // the cloud's response latency as the agent reports it (from the request's end), the quantity the simulator injects
  const ok = (run: ProbeRun | null) => (run?.result === "ok" ? responseLatencyMs(run) : null);
  const [brv, brt] = await Promise.all([bareRealtime(urls.wsUrl, KEY, { kind: "voice", pcm16: pcm.rt }), bareRealtime(urls.wsUrl, KEY, { kind: "text", question: cfg.rt.question })]);
  const [bhv, bht] = await Promise.all([
    bareHttp(`${urls.url}/v1/voice`, KEY, { model: cfg.http.model, audio_base64: pcm.http.toString("base64"), sample_rate_hz: cfg.http.http.audio_sample_rate_hz, format: "pcm16", stream: true }),
    bareHttp(`${urls.url}/v1/chat`, KEY, { model: cfg.http.model, input: cfg.http.question, stream: true }),
  ]);
  return {
    agent: { "realtime voice": ok(r.voice), "realtime text": ok(r.text), "http voice": ok(h.voice), "http text": ok(h.text) },
    bare: { "realtime voice": brv, "realtime text": brt, "http voice": bhv, "http text": bht },
  };
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Runs the probe-accuracy benchmark (about 45 s on the 2-core CI machine). */
export async function probeBench(): Promise<BenchResult> {
  const t0 = Date.now();
  const load0 = loadavg()[0]!;
  const sim = await startSimProcess(KEY);
  const urls = { url: sim.url, wsUrl: sim.wsUrl };
  try {
    const cfg = {
      // voice_output audio: the voice probe times the first audio delta, the figure a listener waits for
      rt: ProbesConfigSchema.parse({ adapter: "realtime", realtime: { url: urls.wsUrl, voice_output: "audio" }, status_page_url: null, api_key: KEY }),
      http: ProbesConfigSchema.parse({ adapter: "http", http: { text_url: `${urls.url}/v1/chat`, audio_url: `${urls.url}/v1/voice` }, status_page_url: null, api_key: KEY }),
    };
    const u = await loadUtterance();
    if (!u.ok) throw new Error(u.reason);
    const pcm = { rt: utterancePcm16(u.utterance, REALTIME_INPUT_RATE_HZ), http: utterancePcm16(u.utterance, cfg.http.http.audio_sample_rate_hz) };

    // the first round pays for JIT compilation and the first connections: kept as a note, not in the figures
    await sim.setFaults({ delay_first_ms: 0 });
    const cold = await round(cfg, urls, pcm);
    const samples: Sample[] = [];
    // the host's share of every client's error: waking a process that waited idle as long (wake-latency.ts)
    const wake = await wakeLatencyProbe();
    const wakeMs = new Map<number, number[]>();
    try {
      for (const delay of DELAYS_MS) {
        await sim.setFaults({ delay_first_ms: delay });
        for (let i = 0; i < REPS; i++) {
          const got = await round(cfg, urls, pcm);
          for (const s of SERIES) samples.push({ series: s, delayMs: delay, agentMs: got.agent[s] ?? null, bareMs: got.bare[s] ?? null });
          wakeMs.set(delay, [...(wakeMs.get(delay) ?? []), await wake.measure(delay)]);
        }
      }
    } finally {
      wake.stop();
    }
    const wakeMean = (d: number) => { const w = wakeMs.get(d) ?? []; return w.reduce((a, b) => a + b, 0) / Math.max(1, w.length); };
    const longest = DELAYS_MS[DELAYS_MS.length - 1]!;
    const stats = errorStats(samples, DELAYS_MS);
    const figures: Figure[] = [];
    for (const s of SERIES) {
      const a = stats.overall[s];
      // the systematic error: the mean at each delay, judged at the worst delay
      const worst = (pick: (g: GroupStats) => number | null) => {
        const means = stats.perDelay.filter((d) => d.series === s).map(pick);
        return means.some((m) => m === null) ? null : Math.max(...(means as number[]));
      };
      const agentWorstMean = worst((g) => g.agent.mean);
      const bareWorstMean = worst((g) => g.bare.mean);
      figures.push(
        { metric: `${s}: measured − injected, mean (worst delay)`, value: agentWorstMean, unit: "ms", baseline: bareWorstMean, ratio: agentWorstMean !== null && bareWorstMean ? agentWorstMean / bareWorstMean : null, target: `≤ ${TARGET_MS} ms`, pass: a.failed === 0 && agentWorstMean !== null && agentWorstMean <= TARGET_MS },
        { metric: `${s}: measured − injected, max (every round)`, value: a.agent.max, unit: "ms", baseline: a.bare.max, ratio: a.agent.max !== null && a.bare.max ? a.agent.max / a.bare.max : null, target: `≤ ${TARGET_MS} ms`, pass: a.failed === 0 && a.agent.max !== null && a.agent.max <= TARGET_MS },
        { metric: `${s}: measured − injected, min`, value: a.agent.min, unit: "ms", baseline: a.bare.min, target: "≥ 0 (never below the injected delay)", pass: a.agent.min !== null && a.agent.min >= 0 },
      );
    }
    figures.push({ metric: `host: wake-up of a process idle ${longest} ms, mean (part of every client's error)`, value: wakeMean(longest), unit: "ms", baseline: wakeMean(0), ratio: null });
    const detail = [
      "| series | injected ms | agent error mean / min / max ms | floor error mean / min / max ms | host wake-up mean ms | agent failures |",
      "|---|---:|---|---|---:|---:|",
      ...stats.perDelay.map((d) => `| ${d.series} | ${d.delayMs} | ${[d.agent.mean, d.agent.min, d.agent.max].map((v) => (v === null ? "—" : r1(v))).join(" / ")} | ${[d.bare.mean, d.bare.min, d.bare.max].map((v) => (v === null ? "—" : r1(v))).join(" / ")} | ${r1(wakeMean(d.delayMs))} | ${d.failed} |`),
    ];
    const coldErr = Object.entries(cold.agent).map(([s, v]) => `${s} ${v === null || v === undefined ? "failed" : `${r1(v)} ms`}`).join(", ");
    return {
      name: "probe",
      title: `the agent's probes against the reference cloud with ${DELAYS_MS.join(", ")} ms injected before the first delta, ${REPS} rounds each; realtime and http adapters, voice and text concurrently as the agent runs them`,
      baseline: "a bare ws/http client timing the first delta with the same payloads against the same simulator (the measurement floor), same run",
      figures,
      notes: [
        "error = the agent's response latency (first_audio_ms for voice, first_text_ms for text, minus request_sent_ms: from the request written to the first delta, the span the simulator delays) − the injected delay; it includes the request's trip to the simulator, the simulator's recognition of the utterance and the delta's trip back, all of which the floor pays too; connecting, the session set-up and the upload come before request_sent_ms and are reported apart",
        "ratio = agent error ÷ floor error: what the agent adds on top of the protocol itself; the mean at each delay is the probe's systematic error, the max over every round also catches the machine's scheduling stalls, which the floor shows at the same size",
        `first (cold) round, excluded: ${coldErr}; a device's first probe after start-up pays the same JIT cost`,
        `1-min load average ${load0.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end on ${cpus().length} cores: the max moves with other work on the machine, and the floor shows by how much`,
        "the simulator runs in its own process (as a cloud would), the agent's probes and the floor in this one, over loopback; it sends the first delta within ~1 ms of the injected delay after the request (sim/cloud/timers.ts: a plain timer fired 1.2 % late on this kind of host)",
        `host wake-up (bench/probe/wake-latency.ts): a process idle for the injected delay, woken by a peer's message, measured ${REPS} times per delay in this run: ${DELAYS_MS.map((d) => `${d} ms idle → ${r1(wakeMean(d))} ms`).join(", ")}. ` +
          "Every client waiting for a first delta is woken this way, so it is part of the floor's error and the agent's; where it grows with the idle time, the host (a hypervisor waking an idle virtual CPU), not the probe, sets the error at long delays",
      ],
      detail,
      raw: { delays_ms: DELAYS_MS, reps: REPS, per_delay: stats.perDelay, host_wake_ms: Object.fromEntries(wakeMs) },
      durationS: (Date.now() - t0) / 1000,
    };
  } finally {
    await sim.stop();
  }
}
