import pino from "pino";
import { describe, expect, it } from "vitest";
import { AudioSample } from "../../shared/schemas/samples/audio.ts";
import { NetworkSample } from "../../shared/schemas/samples/network.ts";
import { SystemSample } from "../../shared/schemas/samples/system.ts";
import { SamplerHealth } from "../../shared/schemas/telemetry.ts";
import { sampleCommand } from "../cli/sample.ts";
import { fixtureSource } from "./fixtures.ts";
import { createSamplers, SamplersConfigSchema } from "./index.ts";

const log = pino({ level: "silent" });
const sysInfo = {
  currentLoad: async () => ({ currentLoad: 5, avgLoad: 0.1, cpus: [{}] }),
  mem: async () => ({ total: 512 * 2 ** 20, available: 256 * 2 ** 20 }),
  cpuTemperature: async () => ({ main: null }),
  time: () => ({ uptime: 10 }),
};

describe("samplers config and wiring", () => {
  it("{} is a complete config with defaults for every sampler", () => {
    const c = SamplersConfigSchema.parse({});
    expect(c.run.audio).toEqual({ mode: "on", schedule: "0 */5 * * * *", timeout_ms: 20_000 });
    expect(c.audio.capture.command.program).toBe("arecord");
    expect(c.network.attempts).toBe(5);
    expect(c.system.app_process).toBeNull();
  });

  it("reports every bad field with its path", () => {
    const r = SamplersConfigSchema.safeParse({ run: { audio: { schedule: "every minute" } }, network: { targets: [{ name: "x", url: "ftp://a" }] } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(paths).toEqual(expect.arrayContaining([expect.stringMatching(/^run\.audio\.schedule: is not a valid cron/), expect.stringMatching(/^network\.targets\.0\.url: must be https:/)]));
  });

  it("a machine with no sound card and no network files: every sampler reports a schema-valid result", async () => {
    const cfg = SamplersConfigSchema.parse({ run: { audio: { mode: "on" } }, network: { icmp: { mode: "off" } } });
    const { samplers, runner } = createSamplers(cfg, fixtureSource({}), log, { sysInfo });
    expect(samplers.map((s) => s.name)).toEqual(["system", "audio", "network"]);
    const out = await runner.runOnce();
    expect(out.map((o) => o.status)).toEqual(["ok", "ok", "ok"]);
    const [sys, audio, net] = out.map((o) => o.result);
    expect(SystemSample.parse(sys).verdict).toBe("ok");
    expect(AudioSample.parse(audio)).toMatchObject({ verdict: "absent", result: "absent" });
    expect(NetworkSample.parse(net).verdict).toBe("unavailable");
    for (const h of runner.health()) SamplerHealth.parse(h);
  });

  it("a sampler switched off is not built", () => {
    const { samplers } = createSamplers(SamplersConfigSchema.parse({ run: { audio: { mode: "off" } } }), fixtureSource({}), log, { sysInfo });
    expect(samplers.map((s) => s.name)).toEqual(["system", "network"]);
  });
});

describe("edge-agent sample", () => {
  it("refuses an unknown --only name with a sentence naming the choices and exit 2", async () => {
    const err: string[] = [];
    const code = await sampleCommand(SamplersConfigSchema.parse({}), { json: true, only: ["audoi"] }, { out: () => undefined, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err).toEqual(["unknown sampler 'audoi' in --only; choose from system, audio, network"]);
  });

  it("--json --only network prints one parseable document with the sample and the sampler's health", async () => {
    const out: string[] = [];
    const cfg = SamplersConfigSchema.parse({ network: { icmp: { mode: "off" } } });
    const code = await sampleCommand(cfg, { json: true, only: ["network"] }, { out: (l) => out.push(l), err: () => undefined });
    expect(code).toBe(0);
    const doc = JSON.parse(out.join("\n"));
    expect(Object.keys(doc.samples)).toEqual(["network"]);
    NetworkSample.parse(doc.samples.network);
    expect(doc.samplers[0]).toMatchObject({ name: "network", runs: 1, errors: 0 });
  });
});
