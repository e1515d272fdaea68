import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import type { Sampler, SystemSource } from "../types.ts";
import { measureSignal } from "./capture.ts";
import { type AudioConfig, AudioConfigSchema } from "./config.ts";
import { readInventory } from "./inventory.ts";
import { runLoopback, sleep } from "./loopback.ts";
import { judgeStreams, parsePwTopErrors, readStatuses, XrunCounter } from "./streams.ts";

/** Hooks for tests: the wait between the two status reads (a fixture test rewrites hw_ptr during it). */
export interface AudioSamplerOptions {
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The audio pipeline: ALSA inventory, stream state (running / xrun / stalled), PipeWire errors, signal
 * statistics from a short capture and an optional loopback self-test. Only statistics leave this sampler.
 */
export class AudioSampler implements Sampler<"audio", AudioSample, AudioConfig> {
  readonly name = "audio" as const;
  readonly configSchema = AudioConfigSchema;
  readonly #source: SystemSource;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #xruns = new XrunCounter();
  #cfg: AudioConfig = AudioConfigSchema.parse({});
  #lastPwErrors: number | null = null;

  constructor(source: SystemSource, opts: AudioSamplerOptions = {}) {
    this.#source = source;
    this.#sleep = opts.sleep ?? sleep;
  }

  init(config: AudioConfig): void {
    this.#cfg = this.configSchema.parse(config);
  }

  async sample(signal: AbortSignal): Promise<AudioSample> {
    const cfg = this.#cfg;
    const { inventory, absentReason } = await readInventory(this.#source, cfg.capture_device);
    const cardIdx = inventory.cards.map((c) => c.index);
    const first = await readStatuses(this.#source, cardIdx);
    // a second read only matters when something is open; skip the wait otherwise
    let second = first;
    if (first.length > 0) {
      await this.#sleep(cfg.stream_poll_ms, signal);
      second = await readStatuses(this.#source, cardIdx);
    }
    const streams = judgeStreams(first, second);
    const xrunsTotal = this.#xruns.observe([first, second]);
    const pw = await this.#pipewireErrors(inventory.sound_server, signal);

    const hardwareMissing = absentReason !== null;
    // a capture tap (wav) works without ALSA; a capture command on a box without a sound card would only fail
    const signalStats = cfg.capture.mode === "off" || (hardwareMissing && cfg.capture.mode === "command") ? null : await measureSignal(cfg, this.#source, signal);
    const loopback = hardwareMissing && cfg.loopback.mode === "command" ? null : await runLoopback(cfg, this.#source, signal);

    const out: AudioSample = {
      result: "ok",
      verdict: "ok",
      reason: "",
      inventory,
      streams,
      xruns_total: xrunsTotal,
      pipewire_errors: pw.total,
      signal: signalStats,
      loopback,
    };
    const v = judge(out, absentReason, pw.newErrors, cfg.loopback.mode);
    out.verdict = v.verdict;
    out.reason = v.reason.slice(0, 500);
    if (v.verdict === "absent") out.result = "absent";
    return out;
  }

  async #pipewireErrors(server: AudioSample["inventory"]["sound_server"], signal: AbortSignal): Promise<{ total: number | null; newErrors: number }> {
    if (server !== "pipewire") return { total: null, newErrors: 0 };
    const r = await this.#source.run(this.#cfg.pw_top.program, this.#cfg.pw_top.args, { timeoutMs: 5000, signal });
    const total = r.code === 0 ? parsePwTopErrors(r.stdout.toString("utf8")) : null;
    // ERR counts are cumulative per node: only an increase since the last sample is news
    const newErrors = total !== null && this.#lastPwErrors !== null ? Math.max(0, total - this.#lastPwErrors) : 0;
    if (total !== null) this.#lastPwErrors = total;
    return { total, newErrors };
  }
}

type Verdict = { verdict: AudioSample["verdict"]; reason: string };

/** The one verdict for the pipeline, most fundamental first: no hardware, then stream, then signal, then loopback. */
function judge(s: AudioSample, absentReason: string | null, newPwErrors: number, loopbackMode: string): Verdict {
  if (absentReason && s.signal?.source !== "wav") return { verdict: "absent", reason: absentReason };
  const where = (st: AudioSample["streams"][number]) => `hw:${st.card},${st.device} sub${st.sub} ${st.direction}`;
  const ordered = [...s.streams].sort((a, b) => (a.direction === b.direction ? 0 : a.direction === "capture" ? -1 : 1));
  const stalled = ordered.find((st) => st.verdict === "stalled");
  if (stalled) return { verdict: "stalled", reason: `${where(stalled)} is RUNNING but hw_ptr did not move (owner pid ${stalled.owner_pid}): the device delivers no audio` };
  const xrun = ordered.find((st) => st.verdict === "xrun");
  if (xrun) return { verdict: "xrun", reason: `${where(xrun)} is in XRUN (owner pid ${xrun.owner_pid}): the app did not keep up with the buffer; ${s.xruns_total} xrun(s) seen so far` };
  if (newPwErrors > 0) return { verdict: "xrun", reason: `PipeWire reported ${newPwErrors} new node error(s) (xruns) since the last sample` };
  const sig = s.signal;
  if (sig && sig.verdict !== "ok") {
    // a busy or missing capture program is not a fault of the pipeline: report it, keep looking
    if (sig.verdict !== "unavailable" && !(sig.verdict === "absent" && sig.source === "command")) return { verdict: sig.verdict, reason: `signal: ${sig.reason}` };
  }
  if (s.loopback && loopbackMode !== "off" && s.loopback.result === "ok" && !s.loopback.detected) {
    return { verdict: "loopback_failed", reason: "the loopback chirp played through the speaker was not heard by the microphone" };
  }
  const running = s.streams.filter((st) => st.state === "RUNNING").length;
  const notes = [
    `${s.inventory.capture_devices.length} capture device(s)`,
    `${running} running stream(s)`,
    sig ? (sig.result === "ok" ? `signal ok (${sig.channel_stats.map((c) => `${c.rms_dbfs} dBFS`).join(", ")})` : `signal not measured: ${sig.reason}`) : null,
    s.loopback?.detected ? `loopback heard after ${s.loopback.delay_ms} ms, SNR ${s.loopback.snr_db} dB` : null,
  ].filter(Boolean);
  return { verdict: "ok", reason: notes.join("; ") };
}
