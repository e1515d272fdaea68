import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessage, REFUSAL_REASONS, TOPIC_KINDS, topicFor, type TopicKind } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";

/** ≥ 10,000 generated cases per validated message path (issue #10). */
const RUNS = 10_000;

const base = { v: 1, device_id: "spk-1", ts: 1_790_000_000_000, msg_id: "abcdef0123456789" };
const valid: Partial<Record<TopicKind, Record<string, unknown>>> = {
  state: { ...base, status: "online", reason: "startup", agent_version: "1", firmware_version: null, model: null, region: null, app_id: null, labels: {}, keepalive_s: 30 },
  telemetry: { ...base, seq: 1, samples: { system: healthySystem }, ai: null, samplers: [], spool: { depth: 0, dropped_total: 0, mode: "disk", condition: null }, budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 } },
  diagnosis: { ...base, ...diagnosisBody("voice_cloud") },
  command: { ...base, id: "cmd000000001", issuer: "ops", expires_at: base.ts + 60_000, name: "diagnose", args: {} },
  response: { ...base, id: "cmd000000001", name: "ping", status: "ok", data: null, error: null },
  progress: { ...base, id: "cmd000000001", step: "network", done: 1, total: 3, detail: "ok" },
  bundle: { ...base, id: "cmd000000001", index: 0, total: 1, sha256: "0".repeat(64), data: "aGVsbG8=" },
};

/** Mutations a hostile or broken device produces: wrong types, huge numbers, prototype keys, junk. */
const hostileValue = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, "", "x".repeat(5000), [], {}, "__proto__"),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.object({ maxDepth: 3 }),
  fc.constant({ __proto__: { polluted: true } }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
);

function mutate(obj: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  let cur: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!next || typeof next !== "object") return copy;
    cur = next as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
  return copy;
}

function paths(obj: unknown, prefix: string[] = []): string[][] {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return [prefix];
  return [prefix, ...Object.entries(obj).flatMap(([k, v]) => paths(v, [...prefix, k]))].filter((p) => p.length);
}

describe("fuzzing every validated message path", () => {
  for (const kind of TOPIC_KINDS) {
    it(`${kind}: ${RUNS} mutated payloads never crash the decoder and every refusal has a known reason`, () => {
      const seed = valid[kind]!;
      const allPaths = paths(seed);
      const counts = new Map<string, number>();
      fc.assert(
        fc.property(fc.constantFrom(...allPaths), hostileValue, fc.boolean(), (path, value, asRawBytes) => {
          const payload = asRawBytes ? Buffer.from(JSON.stringify(value ?? null)) : Buffer.from(JSON.stringify(mutate(seed, path, value)));
          const r = decodeMessage(topicFor(kind, "spk-1"), payload);
          if (!r.ok) {
            expect(REFUSAL_REASONS).toContain(r.reason);
            expect(r.detail.length).toBeGreaterThan(0);
            counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
      // the generator really exercised refusals, not only valid messages
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS / 10);
    });
  }

  it(`random bytes on random topics: ${RUNS} cases, no crash`, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 2048 }), (topic, bytes) => {
        const r = decodeMessage(topic, bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: RUNS },
    );
  });
});
