import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import { encodeWav16 } from "../../audio/wav.ts";
import { fixtureSource, ran } from "../fixtures.ts";
import { AudioSampler } from "./audio.ts";
import { type AudioConfig, AudioConfigSchema } from "./config.ts";
import { detectReference, makeChirp } from "./loopback.ts";

const TESTDATA = join(import.meta.dirname, "testdata");
const signal = new AbortController().signal;
const noWait = async () => undefined;

function configOf(over: Record<string, unknown> = {}): AudioConfig {
  return AudioConfigSchema.parse({ capture: { mode: "off" }, ...over });
}

async function sampleWith(sampler: AudioSampler, cfg: AudioConfig) {
  sampler.init(cfg);
  const s = await sampler.sample(signal);
  // every result must travel in telemetry: the shared schema accepts it
  return AudioSample.parse(s);
}

function tone(amp: number, rate = 16000): Float32Array {
  const x = new Float32Array(rate);
  for (let i = 0; i < x.length; i++) x[i] = (i < rate / 2 ? amp * Math.sin((2 * Math.PI * 440 * i) / rate) : 0) + 0.0005 * Math.sin(i * 1.7);
  return x;
}

describe("audio sampler on /proc/asound fixture trees", () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), "audio-test-"));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("running: a capture stream whose hw_ptr advances is ok, the inventory lists the cards, PipeWire errors are read", async () => {
    await cp(join(TESTDATA, "running"), tmp, { recursive: true });
    const status = join(tmp, "proc/asound/card0/pcm0c/sub0/status");
    const pwTop = await readFile(join(TESTDATA, "running/pw-top.txt"), "utf8");
    const source = fixtureSource({ root: tmp, programs: { "pw-top": () => ran(pwTop) } });
    // the DMA pointer moves while the sampler waits between its two reads
    const advance = async () => writeFile(status, (await readFile(status, "utf8")).replace("hw_ptr      : 74967", "hw_ptr      : 78967"));
    const s = await sampleWith(new AudioSampler(source, { sleep: advance }), configOf({ capture_device: "hw:CARD=Array,DEV=0" }));
    expect(s.verdict).toBe("ok");
    expect(s.inventory.cards.map((c) => c.id)).toEqual(["Array", "Headphones"]);
    expect(s.inventory.capture_devices).toEqual([{ card: 0, device: 0, name: "USB Audio" }]);
    expect(s.inventory.configured_present).toBe(true);
    expect(s.inventory.sound_server).toBe("pipewire");
    expect(s.streams).toEqual([{ card: 0, device: 0, sub: 0, direction: "capture", state: "RUNNING", owner_pid: 812, hw_ptr_advancing: true, verdict: "ok" }]);
    expect(s.pipewire_errors).toBe(6);
    expect(source.calls.map((c) => c.cmd)).toEqual(["pw-top"]);
  });

  it("PipeWire ERR counts that grow between samples give an xrun verdict", async () => {
    const counts = ["0", "4"];
    const pw = () => ran(`S   ID  QUANT   RATE    WAIT    BUSY   W/Q   B/Q  ERR FORMAT  NAME\nR   42   1024  48000  1us  1us  0.00  0.00  ${counts.shift()}  S16LE 2 48000 mic\n`);
    const source = fixtureSource({ files: { "/proc/asound/cards": " 0 [Array ]: USB-Audio - Mic\n", "/proc/asound/pcm": "00-00: USB Audio : USB Audio : capture 1\n", "/proc/7/comm": "pipewire\n" }, programs: { "pw-top": pw } });
    const sampler = new AudioSampler(source, { sleep: noWait });
    expect((await sampleWith(sampler, configOf())).verdict).toBe("ok");
    const second = await sampleWith(sampler, configOf());
    expect(second.verdict).toBe("xrun");
    expect(second.reason).toMatch(/4 new node error/);
  });

  it("stalled: RUNNING with hw_ptr not moving between reads is stalled, naming the stream and owner", async () => {
    const s = await sampleWith(new AudioSampler(fixtureSource({ root: join(TESTDATA, "stalled") }), { sleep: noWait }), configOf());
    expect(s.verdict).toBe("stalled");
    expect(s.streams[0]).toMatchObject({ state: "RUNNING", hw_ptr_advancing: false, verdict: "stalled", owner_pid: 812 });
    expect(s.reason).toMatch(/hw:0,0 sub0 capture .*hw_ptr did not move/);
  });

  it("xrun: a stream in XRUN is xrun and counts once while it stays in XRUN", async () => {
    const sampler = new AudioSampler(fixtureSource({ root: join(TESTDATA, "xrun") }), { sleep: noWait });
    const first = await sampleWith(sampler, configOf());
    expect(first.verdict).toBe("xrun");
    expect(first.streams[0]!.verdict).toBe("xrun");
    expect(first.xruns_total).toBe(1);
    expect((await sampleWith(sampler, configOf())).xruns_total).toBe(1);
  });

  it("absent: no sound card listed, or no /proc/asound at all, is absent with the reason; no capture is attempted", async () => {
    const listed = fixtureSource({ root: join(TESTDATA, "absent") });
    const s = await sampleWith(new AudioSampler(listed), configOf({ capture: { mode: "command" } }));
    expect(s).toMatchObject({ result: "absent", verdict: "absent", signal: null });
    expect(s.reason).toMatch(/lists none/);
    expect(listed.calls).toEqual([]);
    const none = await sampleWith(new AudioSampler(fixtureSource({ root: tmp })), configOf());
    expect(none.verdict).toBe("absent");
    expect(none.reason).toMatch(/\/proc\/asound\/cards does not exist/);
  });

  it("a configured capture device that is not there is absent, listing the devices that are", async () => {
    const s = await sampleWith(new AudioSampler(fixtureSource({ root: join(TESTDATA, "running") }), { sleep: noWait }), configOf({ capture_device: "hw:2,0" }));
    expect(s.verdict).toBe("absent");
    expect(s.inventory.configured_present).toBe(false);
    expect(s.reason).toBe("configured capture device hw:2,0 not found (capture devices: hw:0,0)");
  });
});

describe("audio sampler signal capture", () => {
  const cards = { "/proc/asound/cards": " 0 [Array ]: USB-Audio - Mic\n", "/proc/asound/pcm": "00-00: USB Audio : USB Audio : capture 1\n" };
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), "audio-cap-"));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("runs the capture command with the configured device (no shell) and reports only statistics", async () => {
    const source = fixtureSource({ files: cards, programs: { arecord: () => ran(encodeWav16(16000, [tone(0.3), new Float32Array(16000)])) } });
    const s = await sampleWith(new AudioSampler(source), configOf({ capture_device: "hw:0,0", capture: { mode: "command" } }));
    expect(source.calls[0]!.args).toContain("hw:0,0");
    expect(s.verdict).toBe("dead_channel");
    expect(s.signal).toMatchObject({ result: "ok", source: "command", sample_rate_hz: 16000, channels: 2, format: "pcm_s16le" });
    expect(s.signal!.channel_stats[1]!.dead).toBe(true);
    // audio never leaves the device: the result has no sample arrays
    expect(JSON.stringify(s).length).toBeLessThan(3000);
  });

  it("a busy device and a missing arecord are reported, not fatal: the pipeline verdict stays ok", async () => {
    const busy = fixtureSource({ files: cards, programs: { arecord: () => ran("", 1, "arecord: main:850: audio open error: Device or resource busy") } });
    const s = await sampleWith(new AudioSampler(busy), configOf({ capture: { mode: "command" } }));
    expect(s.signal).toMatchObject({ result: "unavailable", verdict: "unavailable" });
    expect(s.verdict).toBe("ok");
    expect(s.reason).toMatch(/signal not measured: capture device busy/);
    const missing = await sampleWith(new AudioSampler(fixtureSource({ files: cards })), configOf({ capture: { mode: "command" } }));
    expect(missing.signal).toMatchObject({ result: "absent", reason: "capture program arecord is not installed" });
  });

  it("a capture command that hangs past its timeout reads as a stalled capture", async () => {
    const hung = fixtureSource({ files: cards, programs: { arecord: () => ({ code: null, stdout: Buffer.alloc(0), stderr: "", timedOut: true }) } });
    const s = await sampleWith(new AudioSampler(hung), configOf({ capture: { mode: "command" } }));
    expect(s.signal).toMatchObject({ result: "timeout", verdict: "stalled" });
    expect(s.verdict).toBe("stalled");
  });

  it("raw PCM output is decoded with the configured format", async () => {
    const pcm = encodeWav16(16000, [new Float32Array(16000)]).subarray(44);
    const source = fixtureSource({ files: cards, programs: { parec: () => ran(pcm) } });
    const s = await sampleWith(new AudioSampler(source), configOf({ capture: { mode: "command", output: "raw", command: { program: "parec", args: ["--raw"] } } }));
    expect(s.verdict).toBe("silent");
    expect(s.signal!.duration_ms).toBe(1000);
  });

  it("a WAV capture tap works without ALSA and its verdict becomes the sampler's", async () => {
    const x = tone(0.3);
    for (let i = 0; i < 8000; i++) x[i] = Math.max(-1, Math.min(1, x[i]! * 10));
    const path = join(tmp, "tap.wav");
    await writeFile(path, encodeWav16(16000, [x]));
    const s = await sampleWith(new AudioSampler(fixtureSource({})), configOf({ capture: { mode: "wav", wav_path: path } }));
    expect(s.verdict).toBe("clipping");
    expect(s.signal!.source).toBe("wav");
  });
});

describe("loopback self-test", () => {
  const rate = 16000;
  const chirp = makeChirp(rate, 500, 4000, 300);
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), "audio-lb-"));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  function recording(delayMs: number, gain: number, noiseAmp: number): Float32Array {
    const x = new Float32Array(rate);
    let s = 7;
    for (let i = 0; i < x.length; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      x[i] = ((s / 0x7fffffff) * 2 - 1) * noiseAmp;
    }
    const off = Math.round((delayMs / 1000) * rate);
    for (let i = 0; i < chirp.length; i++) x[off + i]! += gain * chirp[i]!;
    return x;
  }

  it("finds the chirp in a recording with its delay and a positive SNR", () => {
    const d = detectReference(chirp, recording(123, 0.4, 0.01), rate, 0.5);
    expect(d.detected).toBe(true);
    expect(d.delay_ms).toBe(123);
    expect(d.snr_db!).toBeGreaterThan(10);
  });

  it("noise alone is not detected", () => {
    expect(detectReference(chirp, recording(0, 0, 0.05), rate, 0.5).detected).toBe(false);
  });

  it("the sampler reports a heard chirp as ok and an unheard one as loopback_failed", async () => {
    const files = { "/proc/asound/cards": " 0 [Array ]: USB-Audio - Mic\n", "/proc/asound/pcm": "00-00: USB Audio : USB Audio : playback 1 : capture 1\n" };
    const heard = join(tmp, "heard.wav");
    const deaf = join(tmp, "deaf.wav");
    await writeFile(heard, encodeWav16(rate, [recording(250, 0.3, 0.005)]));
    await writeFile(deaf, encodeWav16(rate, [recording(0, 0, 0.01)]));
    const ok = await sampleWith(new AudioSampler(fixtureSource({ files })), configOf({ loopback: { mode: "wav", wav_path: heard } }));
    expect(ok.loopback).toMatchObject({ result: "ok", detected: true, delay_ms: 250 });
    expect(ok.verdict).toBe("ok");
    const bad = await sampleWith(new AudioSampler(fixtureSource({ files })), configOf({ loopback: { mode: "wav", wav_path: deaf } }));
    expect(bad.loopback).toMatchObject({ detected: false });
    expect(bad.verdict).toBe("loopback_failed");
  });

  it("command mode records while it plays the chirp file and analyses the recording", async () => {
    let played: Buffer | null = null;
    const source = fixtureSource({
      files: { "/proc/asound/cards": " 0 [A ]: X - Y\n", "/proc/asound/pcm": "00-00: A : A : playback 1 : capture 1\n" },
      programs: {
        aplay: async (args) => ((played = await readFile(args.at(-1)!)), ran("")),
        arecord: () => ran(encodeWav16(rate, [recording(400, 0.2, 0.005)])),
      },
    });
    const s = await sampleWith(new AudioSampler(source), configOf({ loopback: { mode: "command", lead_in_ms: 0 } }));
    expect(played!.subarray(0, 4).toString()).toBe("RIFF");
    expect(source.calls.map((c) => c.cmd)).toEqual(["arecord", "aplay"]);
    expect(s.loopback).toMatchObject({ result: "ok", detected: true, delay_ms: 400 });
  });
});
