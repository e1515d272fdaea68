import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { responseLatencyMs } from "../../shared/probe-latency.ts";
import { ProbeRun } from "../../shared/schemas/probes.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import { makeServerPki } from "../../tests/helpers/pki.ts";
import { ProbesConfigSchema } from "./config.ts";
import { runProbes } from "./index.ts";

// A device reaches its cloud over HTTPS/WSS: the probes are timed through the TLS handshake, and the request,
// written once the session is up, starts the cloud's response latency. The reference cloud serves a certificate
// from a throwaway CA that this process trusts for the test (tls.setDefaultCACertificates, Node 24), as a device
// trusts its vendor's.
const KEY = "sk-test-0123456789abcdef";
const log = pino({ level: "silent" });
let dir: string;
let defaultCas: string[];
let sim: CloudSim;
let urls: { url: string; wsUrl: string };

/** The device's trust store: the public roots, plus the test cloud's CA unless `trusted` is false. */
const trustTestCa = (trusted = true) => tls.setDefaultCACertificates(trusted ? [...defaultCas, readFileSync(join(dir, "ca.pem"), "utf8")] : defaultCas);

const config = (adapter: "realtime" | "http") => ProbesConfigSchema.parse({
  adapter, api_key: KEY, status_page_url: null, probe_timeout_ms: 4000, connect_timeout_ms: 2000,
  realtime: { url: urls.wsUrl }, http: { text_url: `${urls.url}/v1/chat`, audio_url: `${urls.url}/v1/voice` },
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "probe-tls-"));
  makeServerPki(dir);
  defaultCas = tls.getCACertificates("default");
  trustTestCa();
});
afterAll(() => {
  trustTestCa(false);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  sim = new CloudSim({ apiKey: KEY, tls: { key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.pem")) } });
  urls = await sim.start({ port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

describe.each(["realtime", "http"] as const)("%s adapter over TLS", (adapter) => {
  it("times the handshake, sends the request once the session is up, and never reports the cloud faster than it was", async () => {
    expect(urls.url).toMatch(/^https:/);
    sim.setFaults({ delay_first_ms: 120 });
    const { voice, text } = await runProbes(config(adapter), { apiKey: KEY, log });
    for (const r of [voice!, text!]) {
      expect(ProbeRun.safeParse(r).success).toBe(true);
      expect(r).toMatchObject({ result: "ok", answer_ok: true, error: null });
      expect(r.tls_ms).not.toBeNull();
      // connect_ms and tls_ms are durations from the start and of the handshake: the request follows both
      expect(r.request_sent_ms!).toBeGreaterThanOrEqual(r.connect_ms! + r.tls_ms! - 0.2);
      expect(responseLatencyMs(r)!).toBeGreaterThanOrEqual(119.8);
    }
    expect(voice!.transcript_ok).toBe(true);
  });

  it("refuses a cloud whose certificate the device does not trust, as a failed probe with the TLS error", async () => {
    trustTestCa(false);
    try {
      const { text } = await runProbes(config(adapter), { apiKey: KEY, log });
      expect(text!.result).toBe("error");
      expect(text!.error!.code).toMatch(/CERT|SIGNATURE|ISSUER/);
      expect(text!.request_sent_ms).toBeNull();
    } finally {
      trustTestCa();
    }
  });
});
