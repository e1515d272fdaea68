import { describe, expect, it } from "vitest";
import { diagnosisBody, healthySystem } from "../tests/fixtures/samples.ts";
import { decodeMessage, encodeMessage } from "./messages.ts";
import { newMessageId } from "./ids.ts";
import { parseTopic, topicFor } from "./topics.ts";
import { familyOfVendorCode } from "./faults.ts";

const now = 1_790_000_000_000;
const env = (id = "spk-1") => ({ v: 1 as const, device_id: id, ts: now, msg_id: newMessageId() });
const state = (id = "spk-1") => ({
  ...env(id), status: "online" as const, reason: "startup" as const, agent_version: "0.1.0", firmware_version: "1.2", model: "m", region: "eu", app_id: null, labels: { shelf: "a" }, keepalive_s: 30,
});
const telemetry = (id = "spk-1") => ({
  ...env(id), seq: 0, samples: { system: healthySystem }, ai: null, samplers: [],
  spool: { depth: 0, dropped_total: 0, mode: "disk" as const, condition: null }, budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 },
});
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

describe("message ids", () => {
  it("are UUID v7 without dashes: valid MessageIds, unique, and a later millisecond sorts after an earlier one (the fleet's dedup index appends)", () => {
    const t = 1_800_000_000_000;
    const ids = Array.from({ length: 50_000 }, (_, i) => newMessageId(t + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(ids[0]!.slice(0, 12)).toBe(t.toString(16).padStart(12, "0"));
    // ids of different milliseconds are in time order; within one millisecond the order is random
    const firsts = ids.filter((_, i) => i % 100 === 0);
    expect([...firsts].sort()).toEqual(firsts);
  });
});

describe("topics", () => {
  it("builds and parses every kind under the versioned namespace", () => {
    expect(topicFor("state", "spk-1")).toBe("edge/v1/spk-1/state");
    expect(parseTopic("edge/v1/spk-1/cmd/res")).toEqual({ ok: true, deviceId: "spk-1", kind: "response" });
  });
  it.each([
    ["other/v1/x/state", "outside"],
    ["edge/v1/spk-1", "no message kind"],
    ["edge/v1/sp+k/state", "invalid device id"],
    ["edge/v1/spk-1/shell", "unknown message kind"],
  ])("refuses %s with a reason", (topic, reason) => {
    const r = parseTopic(topic);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});

describe("decodeMessage", () => {
  it("accepts valid state, telemetry and diagnosis messages", () => {
    expect(decodeMessage("edge/v1/spk-1/state", buf(state()))).toMatchObject({ ok: true, kind: "state" });
    expect(decodeMessage("edge/v1/spk-1/telemetry", buf(telemetry()))).toMatchObject({ ok: true, kind: "telemetry" });
    expect(decodeMessage("edge/v1/spk-1/diagnosis", buf({ ...env(), ...diagnosisBody("voice_capture") }))).toMatchObject({ ok: true, kind: "diagnosis" });
  });

  it.each([
    ["a topic outside the namespace", "x/y", buf(state()), "topic_outside_namespace", "outside"],
    ["an oversized payload", "edge/v1/spk-1/state", Buffer.alloc(200_000, 32), "oversized", "exceeds"],
    ["invalid UTF-8", "edge/v1/spk-1/state", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "invalid_utf8", "UTF-8"],
    ["invalid JSON", "edge/v1/spk-1/state", Buffer.from("{nope"), "invalid_json", "not JSON"],
    ["a missing field", "edge/v1/spk-1/state", buf({ ...state(), agent_version: undefined }), "invalid_schema", "agent_version"],
    ["a wrong schema version", "edge/v1/spk-1/state", buf({ ...state(), v: 2 }), "invalid_schema", "v:"],
    ["a timestamp in seconds", "edge/v1/spk-1/state", buf({ ...state(), ts: 1_790_000_000 }), "invalid_schema", "ts: must be a time after 2000"],
    ["an unknown fault class", "edge/v1/spk-1/diagnosis", buf({ ...env(), ...diagnosisBody("none"), verdict: { ...diagnosisBody("none").verdict, fault: "gremlins" } }), "invalid_schema", "verdict.fault"],
    ["another device's id in the payload", "edge/v1/spk-1/telemetry", buf(telemetry("spk-2")), "device_mismatch", "differs"],
  ])("refuses %s with a readable reason", (_name, topic, payload, reason, detail) => {
    const r = decodeMessage(topic, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.detail).toContain(detail);
    }
  });

  it("replaces U+0000 and lone surrogates with U+FFFD (PostgreSQL cannot store them), keeping the report", () => {
    const d = { ...env(), ...diagnosisBody("cloud_outage") };
    // a vendor's NUL, and an emoji cut in half by a length limit
    const text = JSON.stringify({ ...d, verdict: { ...d.verdict, summary: "vendor said \u0000boom", evidence: [{ ...d.verdict.evidence[0]!, detail: "tap \u{1F600}".slice(0, 5) }] } });
    expect(text).toContain("\\u0000");
    expect(text).toContain("\\ud83d");
    const r = decodeMessage("edge/v1/spk-1/diagnosis", Buffer.from(text));
    expect(r.ok).toBe(true);
    if (r.ok && r.kind === "diagnosis") {
      expect(r.message.verdict.summary).toBe("vendor said \uFFFDboom");
      expect(r.message.verdict.evidence[0]!.detail).toBe("tap \uFFFD");
      expect(JSON.stringify(r.message)).not.toMatch(/\\u0000|\\ud83d/);
    }
    // a whole emoji escaped as its pair is well formed: kept
    const pair = JSON.stringify({ ...d, verdict: { ...d.verdict, summary: "ok" } }).replace('"summary":"ok"', '"summary":"ok \\ud83d\\ude00"');
    const r2 = decodeMessage("edge/v1/spk-1/diagnosis", Buffer.from(pair));
    expect(r2.ok && r2.kind === "diagnosis" && r2.message.verdict.summary).toBe("ok \u{1F600}");
  });

  it("never lets a __proto__ key reach an object we build", () => {
    const r = decodeMessage("edge/v1/spk-1/telemetry", Buffer.from(JSON.stringify(telemetry()).replace('"seq":0', '"seq":0,"__proto__":{"polluted":true}')));
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (r.ok) expect(Object.getPrototypeOf(r.message)).toBe(Object.prototype);
    // a __proto__ label key is dropped by the schema, never copied into the labels record
    const s = decodeMessage("edge/v1/spk-1/state", Buffer.from(JSON.stringify(state()).replace('"shelf"', '"__proto__"')));
    const labels = s.ok ? (s.message as { labels: object }).labels : null;
    expect(labels && Object.keys(labels)).toEqual([]);
    expect(labels && Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("encodeMessage refuses to send what the fleet would refuse", () => {
    expect(() => encodeMessage("state", { ...state(), keepalive_s: 1 })).toThrow(/keepalive_s/);
  });
});

describe("error-code families", () => {
  it.each([[10001, "network"], [10150, "auth"], [10299, "request"], [10301, "quota"], [10499, "server"], [10500, undefined], [42, undefined]])("%i → %s", (code, family) => {
    expect(familyOfVendorCode(code)).toBe(family);
  });
});
