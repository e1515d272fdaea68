import pino from "pino";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Refusals } from "./refusals.ts";
import { BucketMap, TokenBucket } from "./token-bucket.ts";

describe("refusals", () => {
  it("counts every refusal by reason but logs each (client, reason) pair once", () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    const r = new Refusals(log);
    for (let i = 0; i < 100; i++) r.record("rate_limited", "dev-a", "publish rate exceeded");
    r.record("rate_limited", "dev-b", "publish rate exceeded");
    r.record("oversized", "dev-a", "payload of 1 MB");
    expect(r.snapshot()).toEqual({ rate_limited: 101, oversized: 1 });
    expect(r.total()).toBe(102);
    expect(lines).toHaveLength(3);
  });
});

describe("token bucket", () => {
  it("allows a burst, then the configured rate, on an injected clock", () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(499)).toBe(false);
    expect([b.take(1000), b.take(1000), b.take(1000)]).toEqual([true, true, false]);
    // a clock jumping backwards refills nothing
    expect(b.take(0)).toBe(false);
  });

  it("keeps one bucket per key", () => {
    const m = new BucketMap(1, 1);
    expect([m.take("a", 0), m.take("a", 0), m.take("b", 0)]).toEqual([true, false, true]);
  });
});
