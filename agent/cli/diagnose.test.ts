import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FaultClass } from "../../shared/faults.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import type { SimFaultsInput, SimStatus } from "../../sim/cloud/faults.ts";
import { encodeWav16 } from "../audio/wav.ts";
import { network, system } from "../diagnosis/testdata/samples.ts";
import { DiagnoseReport } from "../diagnosis/report.ts";
import type { SampleProviders } from "../diagnosis/run.ts";
import { AudioSampler } from "../samplers/audio/audio.ts";
import { fixtureSource } from "../samplers/fixtures.ts";
import { diagnoseCommand } from "./diagnose.ts";

const KEY = "sk-diag-0123456789abcdef";
const RATE = 16_000;
let dir: string;
let sim: CloudSim;
let urls: { url: string; wsUrl: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "diagnose-test-"));
  // capture fixtures for the audio sampler's WAV source: a healthy voice-like signal and dead silence
  const good = new Float32Array(RATE);
  for (let i = 0; i < RATE; i++) good[i] = (i % 4800 < 3200 ? 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE) : 0) + 0.002 * Math.sin(i * 12.9898);
  writeFileSync(join(dir, "good.wav"), encodeWav16(RATE, [good]));
  writeFileSync(join(dir, "silent.wav"), encodeWav16(RATE, [new Float32Array(RATE)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  sim = new CloudSim({ apiKey: KEY });
  urls = await sim.start({ port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

/** The audio sampler on a one-microphone fixture tree, reading the capture from a WAV. */
function audioFrom(wav: string): SampleProviders["audio"] {
  const cards = " 0 [Mic            ]: USB-Audio - USB Mic\n                      USB Mic at usb-1\n";
  const s = new AudioSampler(fixtureSource({ files: { "/proc/asound/cards": cards, "/proc/asound/pcm": "00-00: USB Audio : USB Audio : capture 1\n" } }), { sleep: async () => {} });
  s.init({ capture: { mode: "wav", wav_path: join(dir, wav) } } as never);
  return (signal) => s.sample(signal);
}

interface Scenario {
  fault: FaultClass;
  name: string;
  faults?: SimFaultsInput;
  status?: Partial<SimStatus>;
  cloud?: Record<string, unknown>;
  capture?: string;
  net?: Parameters<typeof network>[0] | null;
  sys?: Parameters<typeof system>[0];
  adapter?: "realtime" | "http";
}

async function diagnose(s: Scenario): Promise<{ code: number; report: DiagnoseReport; text: string }> {
  if (s.faults) sim.setFaults(s.faults);
  if (s.status) sim.setStatus(s.status);
  const cloud = {
    adapter: s.adapter ?? "realtime",
    api_key: KEY,
    realtime: { url: urls.wsUrl },
    http: { text_url: `${urls.url}/v1/chat`, audio_url: `${urls.url}/v1/voice` },
    status_page_url: urls.url,
    probe_timeout_ms: 800,
    connect_timeout_ms: 500,
    status_timeout_ms: 800,
    ...s.cloud,
  };
  const samples: SampleProviders = {
    audio: audioFrom(s.capture ?? "good.wav"),
    system: async () => system(s.sys ?? "ok"),
    ...(s.net === null ? {} : { network: async () => network(s.net ?? "ok") }),
  };
  let text = "";
  const code = await diagnoseCommand({ device: { id: "speaker-1", app_id: "app-42", firmware_version: "1.2.3" }, cloud }, { json: true, samples, out: (t) => (text = t), err: (t) => (text = t), log: pino({ level: "silent" }) });
  return { code, report: DiagnoseReport.parse(JSON.parse(text)), text };
}

const scenarios: Scenario[] = [
  { fault: "none", name: "healthy" },
  { fault: "none", name: "healthy over the HTTP adapter", adapter: "http" },
  { fault: "voice_capture", name: "silent live capture (WAV fixture)", capture: "silent.wav" },
  { fault: "voice_cloud", name: "wrong transcript of the canned utterance", faults: { transcript: "wrong", scope: "voice" } },
  { fault: "voice_cloud", name: "empty transcript over HTTP", faults: { transcript: "empty", scope: "voice" }, adapter: "http" },
  { fault: "network", name: "cloud unreachable and DNS failing locally", net: "dns_failure", cloud: { realtime: { url: "ws://127.0.0.1:1/v1/realtime" }, status_page_url: null } },
  { fault: "auth", name: "key rejected", cloud: { api_key: "sk-wrong-0000000000000" } },
  { fault: "auth", name: "vendor 101xx", faults: { vendor_code: 10104 } },
  { fault: "request", name: "vendor 102xx", faults: { vendor_code: 10201 } },
  { fault: "request", name: "HTTP 400", faults: { http_status: 400 }, adapter: "http" },
  { fault: "quota", name: "HTTP 429", faults: { http_status: 429 }, adapter: "http" },
  { fault: "quota", name: "vendor 103xx", faults: { vendor_code: 10305 } },
  { fault: "cloud_outage", name: "5xx", faults: { http_status: 503 } },
  { fault: "cloud_outage", name: "vendor 104xx", faults: { vendor_code: 10401 } },
  { fault: "cloud_outage", name: "status page major + disconnects", faults: { disconnect_mid_response: true }, status: { indicator: "major" } },
  { fault: "cloud_latency", name: "slow first delta with a good network", faults: { delay_first_ms: 300 }, cloud: { latency_budget_first_ms: 200 } },
  { fault: "cloud_content", name: "wrong answer", faults: { answer: "wrong" } },
  { fault: "device_resources", name: "memory exhausted", sys: "memory_low" },
  { fault: "unknown", name: "hung cloud and no network evidence", faults: { hang: true }, net: null },
];

describe("edge-agent diagnose --json against the reference cloud", () => {
  it.each(scenarios)("$fault: $name", async (s) => {
    const { code, report } = await diagnose(s);
    expect(report.diagnosis.verdict.fault).toBe(s.fault);
    expect(code).toBe(s.fault === "none" ? 0 : 1);
    expect(report.checklist.device_id).toBe("speaker-1");
    expect(JSON.stringify(report)).not.toContain(KEY);
  });

  it("measured time to first audio/text is never below the injected delay", async () => {
    const { report } = await diagnose({ fault: "none", name: "delay", faults: { delay_first_ms: 250 } });
    const text = report.diagnosis.probes.find((p) => p.probe === "text")!;
    const voice = report.diagnosis.probes.find((p) => p.probe === "voice")!;
    expect(text.first_text_ms!).toBeGreaterThanOrEqual(250);
    expect(voice.first_audio_ms!).toBeGreaterThanOrEqual(250);
  });

  it("a healthy diagnose finishes within 3 s and a hung cloud within the probe timeout + 1 s", async () => {
    const healthy = await diagnose({ fault: "none", name: "healthy" });
    expect(healthy.report.diagnosis.duration_ms).toBeLessThan(3000);
    const hung = await diagnose({ fault: "cloud_outage", name: "hung", faults: { hang: true } });
    expect(hung.report.diagnosis.verdict.fault).toBe("cloud_outage");
    expect(hung.report.diagnosis.duration_ms).toBeLessThan(800 + 1000);
  });

  it("prints a human report with steps, verdict, actions and the support checklist", async () => {
    let text = "";
    sim.setFaults({ vendor_code: 10302 });
    const code = await diagnoseCommand(
      { device: { id: "speaker-1", app_id: "app-42" }, cloud: { api_key: KEY, realtime: { url: urls.wsUrl }, status_page_url: urls.url, probe_timeout_ms: 800 } },
      { samples: {}, out: (t) => (text = t), log: pino({ level: "silent" }) },
    );
    expect(code).toBe(1);
    for (const part of ["Steps run:", "probe_text", "Verdict: QUOTA", "What to do:", "Support checklist:", "app-42", "10302", "QPS over limit", "[redacted]"]) expect(text).toContain(part);
    expect(text).not.toContain(KEY);
  });

  it("exits 2 with a sentence naming the bad config key or --only value", async () => {
    const errs: string[] = [];
    const io = { out: () => {}, err: (t: string) => errs.push(t), samples: {} };
    expect(await diagnoseCommand({ device: { id: "d1" }, cloud: { probe_timeout_ms: -5 } }, io)).toBe(2);
    expect(errs[0]).toContain("cloud.probe_timeout_ms");
    expect(await diagnoseCommand({ device: { id: "d1" }, cloud: {} }, { ...io, only: ["bogus"] })).toBe(2);
    expect(errs[1]).toContain("bogus");
  });
});
