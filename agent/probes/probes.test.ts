import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { responseLatencyMs } from "../../shared/probe-latency.ts";
import { ProbeRun } from "../../shared/schemas/probes.ts";
import { classifyError } from "../../shared/taxonomy.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import { ProbesConfigSchema, type ProbesConfig } from "./config.ts";
import { runProbes } from "./index.ts";

const KEY = "sk-test-0123456789abcdef";
let sim: CloudSim;
let urls: { url: string; wsUrl: string };

function config(over: Record<string, unknown> = {}): ProbesConfig {
  return ProbesConfigSchema.parse({
    api_key: KEY,
    realtime: { url: urls.wsUrl, ...(over.realtime as object | undefined) },
    http: { text_url: `${urls.url}/v1/chat`, audio_url: `${urls.url}/v1/voice` },
    status_page_url: urls.url,
    probe_timeout_ms: 2000,
    connect_timeout_ms: 1000,
    ...over,
    ...(over.realtime ? { realtime: { url: urls.wsUrl, ...(over.realtime as object) } } : {}),
  });
}

const opts = { log: pino({ level: "silent" }) };

beforeEach(async () => {
  sim = new CloudSim({ apiKey: KEY });
  urls = await sim.start({ port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

describe.each(["realtime", "http"] as const)("%s adapter against the reference cloud", (adapter) => {
  it("healthy: the cloud hears the canned utterance and answers the question; runs are schema-valid and secret-free", async () => {
    const { voice, text, status } = await runProbes(config({ adapter }), opts);
    for (const r of [voice, text, status]) expect(ProbeRun.safeParse(r).success).toBe(true);
    expect(text).toMatchObject({ result: "ok", answer_ok: true, error: null });
    expect(voice).toMatchObject({ result: "ok", transcript: "what is the weather today", transcript_ok: true, answer_ok: true });
    expect(voice!.first_audio_ms).not.toBeNull();
    expect(text!.first_text_ms).not.toBeNull();
    expect(text!.connect_ms).not.toBeNull();
    expect(text!.bytes_sent).toBeGreaterThan(0);
    expect(voice!.bytes_sent).toBeGreaterThan(40_000); // 1.9 s of PCM16, base64
    expect(text!.request_id).toMatch(/sim/);
    expect(status).toMatchObject({ result: "ok", status_indicator: "none" });
    expect(JSON.stringify([voice, text])).not.toContain(KEY);
  });

  it("time to first response is never below the injected delay", async () => {
    sim.setFaults({ delay_first_ms: 150 });
    const { voice, text } = await runProbes(config({ adapter }), opts);
    expect(text!.first_text_ms!).toBeGreaterThanOrEqual(150);
    expect(voice!.first_audio_ms!).toBeGreaterThanOrEqual(150);
    expect(text!.total_ms!).toBeGreaterThanOrEqual(text!.first_text_ms!);
    // the cloud's share: from the request written (after connecting, and after the voice probe's upload) to the first
    // delta, never below what the cloud waited (less 0.2 ms: both timestamps are rounded to 0.1 ms on the wire)
    for (const r of [text!, voice!]) {
      expect(r.request_sent_ms!).toBeGreaterThanOrEqual(r.connect_ms!);
      expect(responseLatencyMs(r)!).toBeGreaterThanOrEqual(149.8);
      expect(responseLatencyMs(r)!).toBeLessThan(r.probe === "voice" ? r.first_audio_ms! : r.first_text_ms!);
    }
  });

  it.each([
    [{ vendor_code: 10302 }, "quota", "10302"],
    [{ vendor_code: 10105 }, "auth", "10105"],
    [{ vendor_code: 10420 }, "cloud_outage", "10420"],
  ])("vendor code %j is classified as %s", async (faults, fault, code) => {
    sim.setFaults(faults);
    const { text } = await runProbes(config({ adapter }), opts);
    expect(text!.result).toBe("error");
    expect(text!.error!.code).toBe(code);
    expect(classifyError(text!.error!).fault).toBe(fault);
  });

  it("a wrong key is an auth fault and the key never appears in the result", async () => {
    const { text } = await runProbes(config({ adapter, api_key: "sk-wrong-key-9876543210" }), opts);
    expect(classifyError(text!.error!).fault).toBe("auth");
    expect(JSON.stringify(text)).not.toContain("sk-wrong-key-9876543210");
  });

  it("a disconnect mid-response is a failed probe with the bytes so far", async () => {
    sim.setFaults({ disconnect_mid_response: true });
    const { text } = await runProbes(config({ adapter }), opts);
    expect(text!.result).toBe("error");
    expect(classifyError(text!.error!).family).toBe("network");
    expect(text!.bytes_received).toBeGreaterThan(0);
  });

  it.each(["empty", "wrong"] as const)("an %s transcript fails the voice check", async (transcript) => {
    sim.setFaults({ transcript, scope: "voice" });
    const { voice, text } = await runProbes(config({ adapter }), opts);
    expect(voice!.transcript_ok).toBe(false);
    expect(text!.answer_ok).toBe(true);
  });

  it("a wrong answer fails the answer check", async () => {
    sim.setFaults({ answer: "wrong", scope: "text" });
    const { text } = await runProbes(config({ adapter }), opts);
    expect(text).toMatchObject({ result: "ok", answer_ok: false });
  });

  it("a hung cloud ends as a timeout with the measurements so far", async () => {
    sim.setFaults({ hang: true });
    const { text, voice } = await runProbes(config({ adapter, probe_timeout_ms: 300 }), opts);
    expect(text).toMatchObject({ result: "timeout", error: { code: "probe_timeout" } });
    expect(voice!.result).toBe("timeout");
    expect(text!.connect_ms).not.toBeNull();
  });
});

describe("realtime specifics", () => {
  it("speaks the beta dialect too", async () => {
    const { voice, text } = await runProbes(config({ realtime: { api_version: "beta" } }), opts);
    expect(voice).toMatchObject({ result: "ok", transcript_ok: true });
    expect(text).toMatchObject({ result: "ok", answer_ok: true });
  });

  it("reports input transcription failures and failed responses", async () => {
    sim.setFaults({ transcription_failed: true, scope: "voice" });
    const { voice } = await runProbes(config(), opts);
    expect(voice).toMatchObject({ transcript_ok: false, error: { type: "transcription_error" } });
    expect(classifyError(voice!.error!).fault).toBe("voice_cloud");
    sim.setFaults({ response_failed: true });
    const { text } = await runProbes(config(), opts);
    expect(text!.result).toBe("error");
    expect(classifyError(text!.error!).fault).toBe("cloud_outage");
  });

  it("a refused WebSocket upgrade carries its HTTP status", async () => {
    sim.setFaults({ http_status: 503 });
    const { text } = await runProbes(config(), opts);
    expect(text!.error).toMatchObject({ code: "ws_handshake_503", http_status: 503, family: "server" });
  });

  it("nothing listening is a refused connection", async () => {
    const port = urls.wsUrl.split(":")[2]!.split("/")[0];
    await sim.stop();
    const { text } = await runProbes(config({ status_page_url: null }), opts);
    expect(text).toMatchObject({ result: "refused", error: { code: "ECONNREFUSED", family: "network" } });
    sim = new CloudSim({ apiKey: KEY });
    urls = await sim.start({ port: 0 });
    expect(port).toBeDefined();
  });
});

describe("status page", () => {
  it("reads the indicator and the degraded components", async () => {
    sim.setStatus({ indicator: "major", components: { "Speech to text": "major_outage" } });
    const { status } = await runProbes(config(), { ...opts, skipBillable: true });
    expect(status).toMatchObject({ result: "ok", status_indicator: "major", degraded_components: ["Speech to text: major_outage"] });
  });
});
