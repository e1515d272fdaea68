import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DiagnosisMessage } from "../../shared/schemas/diagnosis.ts";
import { DiagnosisService } from "../diagnosis/service.ts";
import type { RunDiagnosisOptions } from "../diagnosis/run.ts";
import { PassiveConfigSchema, ProbesConfigSchema } from "../probes/config.ts";
import { InteractionEvent } from "./events.ts";
import { PassiveMonitor } from "./monitor.ts";
import { PassiveServer } from "./server.ts";

const log = pino({ level: "silent" });
const cfg = PassiveConfigSchema.parse({ port: 0, error_burst_count: 3, error_burst_window_s: 60, latency_breach_ms: 2000, latency_breach_count: 2, min_interval_s: 300 });
const err = (over: Partial<InteractionEvent> = {}) => InteractionEvent.parse({ ok: false, stage: "asr", error_code: "10401", ...over });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  vi.useRealTimers();
});

describe("PassiveMonitor", () => {
  it("triggers on an error burst, rate-limits repeats, and forgets events outside the window", () => {
    let now = 1_000_000;
    const m = new PassiveMonitor(cfg, () => now);
    expect(m.observe([err(), err()])).toBeNull();
    expect(m.observe([err()])).toMatchObject({ reason: "error_burst", errors: 3 });
    now += 10_000;
    expect(m.observe([err()])).toBeNull(); // within min_interval_s
    expect(m.counts().suppressed).toBe(1);
    now += 301_000; // window passed too: old errors are gone
    expect(m.observe([err()])).toBeNull();
    expect(m.counts().errors).toBe(1);
    expect(m.observe([err(), err()])).toMatchObject({ reason: "error_burst" });
  });

  it("triggers on repeated latency breaches but not on one slow answer", () => {
    const m = new PassiveMonitor(cfg, () => 5_000_000);
    const slow = InteractionEvent.parse({ ok: true, latency_ms: 4000 });
    expect(m.observe([slow])).toBeNull();
    expect(m.observe([InteractionEvent.parse({ ok: true, latency_ms: 300 })])).toBeNull();
    expect(m.observe([slow])).toMatchObject({ reason: "latency_breach" });
  });
});

function post(target: { port?: number; socketPath?: string }, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", ...target, method: "POST", path: "/v1/interactions", headers: { "content-type": "application/json" } }, (res) => {
      let b = "";
      res.on("data", (c) => (b += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("PassiveServer", () => {
  it("accepts valid interactions on loopback and refuses invalid ones with the field named", async () => {
    const got: InteractionEvent[] = [];
    const s = new PassiveServer(cfg, log, (evs) => got.push(...evs));
    const where = await s.start();
    cleanups.push(() => s.stop());
    const port = Number(new URL(where).port);
    expect(await post({ port }, JSON.stringify([{ ok: false, stage: "llm", error_code: 10302, latency_ms: 900 }, { ok: true, latency_ms: 450 }]))).toMatchObject({ status: 202 });
    expect(got).toHaveLength(2);
    const bad = await post({ port }, JSON.stringify({ ok: "yes", audio: "..." }));
    expect(bad.status).toBe(400);
    expect(bad.body).toContain("ok");
    expect((await post({ port }, "{not json")).status).toBe(400);
  });

  it("listens on a UNIX socket and removes it on stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passive-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = join(dir, "agent.sock");
    const got: InteractionEvent[] = [];
    const s = new PassiveServer({ ...cfg, socket_path: socketPath }, log, (evs) => got.push(...evs));
    expect(await s.start()).toBe(socketPath);
    expect((await post({ socketPath }, JSON.stringify({ ok: true, latency_ms: 300 }))).status).toBe(202);
    await s.stop();
    await expect(post({ socketPath }, "{}")).rejects.toThrow();
    expect(got).toHaveLength(1);
  });
});

describe("DiagnosisService", () => {
  const fakeDiagnosis = (o: RunDiagnosisOptions) =>
    ({ trigger: o.trigger, probes: o.skipBillable ? [] : [{ probe: "text", result: "ok", bytes_sent: 100, bytes_received: 200 }], verdict: { fault: "none" } }) as unknown as DiagnosisMessage;

  function service(over: Record<string, unknown> = {}) {
    const runs: RunDiagnosisOptions[] = [];
    const seen: DiagnosisMessage[] = [];
    const config = ProbesConfigSchema.parse({ interval_s: 900, max_probes_per_day: 2, passive: { port: 0, error_burst_count: 2, min_interval_s: 60 }, ...over });
    const svc = new DiagnosisService({ config, device: { id: "d1" }, agentVersion: "0.1.0", log, onDiagnosis: (d) => void seen.push(d), run: async (o) => (runs.push(o), fakeDiagnosis(o)) });
    cleanups.push(() => svc.stop());
    return { svc, runs, seen };
  }

  it("an error burst from the voice app starts a passive diagnosis at once", async () => {
    const { svc, runs, seen } = service();
    await svc.start();
    const port = Number(new URL(svc.passiveAddress!).port);
    await post({ port }, JSON.stringify([{ ok: false, stage: "asr", error_code: "10401" }, { ok: false, stage: "asr", error_code: "10401" }]));
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(runs[0]!.trigger).toBe("passive");
    expect(svc.passiveCounts().errors).toBe(2);
  });

  it("runs on the schedule and stops probing billable checks when the day's budget is spent", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const { svc, runs } = service({ passive: { enabled: false } });
    await svc.start();
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(900_000);
    expect(runs.map((r) => r.skipBillable)).toEqual([false, false, true]);
    expect(svc.budget()).toMatchObject({ probes_today: 2, exhausted: true });
    await svc.runNow("manual");
    expect(runs.at(-1)!.skipBillable).toBe(false); // a person's request is not held to the budget
    await svc.stop();
    await vi.advanceTimersByTimeAsync(900_000);
    expect(runs).toHaveLength(4);
  });

  it("joins a request that arrives during a run instead of probing twice", async () => {
    const { svc, runs } = service({ passive: { enabled: false } });
    const [a, b] = [svc.runNow("manual"), svc.runNow("command", "cmd12345678")];
    expect(await a).toBe(await b);
    expect(runs).toHaveLength(1);
  });
});
