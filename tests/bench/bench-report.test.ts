import { connect, createServer, type AddressInfo, type Server } from "node:net";
import mqttPacket from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { ByteCounter } from "../../bench/lib/byte-counter.ts";
import { dailyBytes, diagnosesIn, median, publishWireBytes, type Mark, type Publish } from "../../bench/lib/footprint-math.ts";
import { markdown, type BenchResult } from "../../bench/lib/report.ts";
import { errorStats, type Sample } from "../../bench/probe/stats.ts";

describe("bench figures", () => {
  it("sizes an MQTT 3.1.1 PUBLISH exactly as mqtt-packet encodes it", () => {
    for (const [len, qos] of [[10, 0], [100, 1], [2132, 1], [20_000, 1]] as const) {
      const topic = "edge/v1/footprint-00001/telemetry";
      const wire = mqttPacket.generate({ cmd: "publish", topic, payload: Buffer.alloc(len), qos, messageId: qos ? 1 : undefined, retain: false, dup: false } as mqttPacket.IPublishPacket);
      expect(publishWireBytes(topic, len, qos)).toBe(wire.length);
    }
  });

  it("extrapolates a day from per-report sizes, one diagnosis at its cadence and the steady remainder", () => {
    const at = (s: number) => s * 1000;
    const publishes: Publish[] = [
      { kind: "telemetry", at: at(1), wire: 1000 },
      { kind: "diagnosis", at: at(2), wire: 3000 },
      { kind: "telemetry", at: at(40), wire: 1000 },
      { kind: "diagnosis", at: at(50), wire: 3000 },
    ];
    // steady window 10 s → 100 s: a telemetry report, a scheduled diagnosis (3,000 B + 100,000 B of probes), 100 B of pings
    const d = dailyBytes({ publishes, steadyFrom: { at: at(10), mqttSent: 5000, cloudSent: 100_000, cpuMs: 0 }, end: { at: at(100), mqttSent: 9100, cloudSent: 200_000, cpuMs: 0 }, telemetryS: 60, diagnosisS: 900, probeCloudBytes: 100_000, inWindowProbeCloudBytes: 100_000 });
    expect(d.telemetry).toBe(1000 * 1440);
    expect(d.diagnosisBytes).toBe(3000 + 100_000);
    expect(d.diagnosis).toBe(103_000 * 96);
    expect(d.other).toBeCloseTo((100 / 90) * 86_400, 6);
    expect(d.total).toBeCloseTo(d.telemetry + d.diagnosis + d.other, 6);
  });

  it("costs a diagnosis from the last snapshot before its report, and only those inside the window", () => {
    const snaps = [0, 1000, 2000, 3000].map((t) => ({ at: t, mqttSent: 0, cloudSent: t, cpuMs: t / 100 }));
    const marks: Mark[] = [
      { kind: "diagnosis", at: 500, mqttSent: 0, cloudSent: 90_000, cpuMs: 300 },
      { kind: "telemetry", at: 2100, mqttSent: 0, cloudSent: 2000, cpuMs: 21 },
      { kind: "diagnosis", at: 2500, mqttSent: 0, cloudSent: 122_000, cpuMs: 220 },
    ];
    expect(diagnosesIn(marks, snaps, 1000, 3000)).toEqual([{ cloudBytes: 120_000, cpuMs: 200 }]);
  });

  it("takes the median of odd and even lists", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it("reports probe error as measured − injected and counts a failed probe instead of dropping it", () => {
    const samples: Sample[] = [
      { series: "http text", delayMs: 100, agentMs: 103, bareMs: 101 },
      { series: "http text", delayMs: 100, agentMs: 99, bareMs: 102 },
      { series: "http text", delayMs: 500, agentMs: null, bareMs: 501 },
    ];
    const s = errorStats(samples, [100, 500]);
    expect(s.overall["http text"].agent).toEqual({ mean: 1, min: -1, max: 3, n: 2 });
    expect(s.overall["http text"].failed).toBe(1);
    expect(s.perDelay.find((d) => d.series === "http text" && d.delayMs === 500)).toMatchObject({ failed: 1, agent: { n: 0, mean: null }, bare: { mean: 1 } });
  });

  it("prints one table with pass/fail per target and a FAIL row for a crashed benchmark", () => {
    const ok: BenchResult = { name: "probe", title: "t", baseline: "b", notes: [], durationS: 1, figures: [{ metric: "max error", value: 12.5, unit: "ms", baseline: 3, ratio: 4.1667, target: "≤ 10 ms", pass: false }, { metric: "min error", value: 1, unit: "ms", target: "≥ 0", pass: true }] };
    const crashed: BenchResult = { name: "storm", title: "crashed: boom", baseline: "—", figures: [], notes: [], durationS: 0 };
    const md = markdown([ok, crashed], 700);
    expect(md).toContain("| benchmark | figure | value | unit | baseline | ratio | target | pass/fail |");
    expect(md).toContain("| probe | max error | 12.5 | ms | 3 | 4.17 | ≤ 10 ms | **FAIL** |");
    expect(md).toContain("| probe | min error | 1 | ms | — | — | ≥ 0 | pass |");
    expect(md).toContain("| storm | crashed: boom |");
    expect(md).toContain("1 of 2 targets met, 2 missed or failed.");
    expect(md).toContain("Total wall-clock time 700 s");
  });
});

describe("ByteCounter", () => {
  const open: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.stop();
  });

  it("relays both ways and counts what the client sent and received", async () => {
    const echo: Server = createServer((s) => s.on("data", (d) => s.write(Buffer.concat([d, d]))));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    open.push({ stop: () => new Promise<void>((r) => echo.close(() => r())) });
    const counter = new ByteCounter((echo.address() as AddressInfo).port);
    open.unshift(counter);
    const port = await counter.start();
    const sock = connect(port, "127.0.0.1");
    const got = await new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      sock.on("data", (d: Buffer) => { buf = Buffer.concat([buf, d]); if (buf.length >= 10) resolve(buf); });
      sock.write("hello");
    });
    sock.destroy();
    expect(got.toString()).toBe("hellohello");
    expect(counter.sent).toBe(5);
    expect(counter.received).toBe(10);
    expect(counter.connections).toBe(1);
  });
});
