import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseWav, resample, toPcm16 } from "../../agent/audio/wav.ts";
import { CANNED_TEXT, Recogniser } from "./content.ts";
import { CloudSim } from "./server.ts";

let sim: CloudSim;
let url: string;
beforeEach(async () => {
  sim = new CloudSim();
  ({ url } = await sim.start({ port: 0 }));
});
afterEach(async () => {
  await sim.stop();
});

const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) });

describe("reference cloud control API", () => {
  it("sets, shows and resets faults; refuses unknown fault keys with a reason", async () => {
    expect((await post("/_sim/faults", { delay_first_ms: 200, scope: "voice" })).status).toBe(200);
    expect(await (await fetch(`${url}/_sim/faults`)).json()).toMatchObject({ delay_first_ms: 200, scope: "voice" });
    const bad = await post("/_sim/faults", { delay_ms: 5 });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("delay_ms");
    await fetch(`${url}/_sim/faults`, { method: "DELETE" });
    expect(await (await fetch(`${url}/_sim/faults`)).json()).toMatchObject({ delay_first_ms: 0 });
  });

  it("serves the Statuspage v2 indicator and components it is told to", async () => {
    await post("/_sim/status", { indicator: "critical", components: { "Realtime API": "major_outage" } });
    const status = (await (await fetch(`${url}/api/v2/status.json`)).json()) as { status: { indicator: string } };
    expect(status.status.indicator).toBe("critical");
    const comps = (await (await fetch(`${url}/api/v2/components.json`)).json()) as { components: { name: string; status: string }[] };
    expect(comps.components.find((c) => c.name === "Realtime API")?.status).toBe("major_outage");
  });

  it("applies a fault with `remaining` to that many requests only", async () => {
    sim.setFaults({ http_status: 500, remaining: 1 });
    const ask = () => post("/v1/chat", { input: "what is the weather today" });
    expect((await ask()).status).toBe(500);
    expect((await ask()).status).toBe(200);
    expect(sim.stats().http_text).toBe(2);
  });
});

describe("canned utterance asset and the simulator's fingerprint recogniser", () => {
  const wav = readFileSync(new URL("../../agent/assets/utterance.wav", import.meta.url));
  const meta = JSON.parse(readFileSync(new URL("../../agent/assets/utterance.json", import.meta.url), "utf8")) as { sha256: string; sample_rate_hz: number; expected_words: string[] };

  it("is the small 16 kHz mono WAV its sidecar describes", () => {
    expect(createHash("sha256").update(wav).digest("hex")).toBe(meta.sha256);
    const pcm = parseWav(wav);
    expect(pcm.sampleRate).toBe(16_000);
    expect(pcm.channels).toHaveLength(1);
    expect(wav.length).toBeLessThan(100 * 1024);
    for (const w of meta.expected_words) expect(CANNED_TEXT).toContain(w);
  });

  it("hears the utterance at the Realtime rate, silence as nothing and noise as gibberish", () => {
    const r = new Recogniser();
    const pcm = parseWav(wav);
    expect(r.transcribe(toPcm16(resample(pcm.channels[0]!, 16_000, 24_000)), 24_000)).toBe(CANNED_TEXT);
    expect(r.transcribe(Buffer.alloc(48_000 * 2), 24_000)).toBe("");
    const noise = new Float32Array(24_000 * 2).map((_, i) => 0.3 * Math.sin(i * 0.37) * Math.sin(i * 0.0011));
    expect(r.transcribe(toPcm16(noise), 24_000)).toBe("unintelligible");
  });
});
