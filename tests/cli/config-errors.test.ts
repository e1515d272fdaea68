import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const run = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20_000 });

describe("config files with errors: every problem listed with its path, exit 2, nothing started", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "edge-cfg-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("edge-agent lists all problems of a bad config", () => {
    const path = join(dir, "agent.json");
    writeFileSync(path, JSON.stringify({ device: { id: "bad id with spaces", labels: { Region: "x" } }, mqtt: { url: "http://x", keepalive_s: 2 }, cadence: { telemetry_s: 1 }, bogus: true }));
    const r = run("agent/cli/main.ts", ["config", "check", "--config", path]);
    expect(r.status).toBe(2);
    for (const p of ["device.id:", "device.labels", "mqtt.url:", "mqtt.keepalive_s:", "cadence.telemetry_s:", "bogus"]) expect(r.stderr).toContain(p);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  it("edge-agent names a missing file and what to do", () => {
    const r = run("agent/cli/main.ts", ["config", "check", "--config", join(dir, "nope.json")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/does not exist; pass --config/);
  });

  it("edge-agent names invalid JSON", () => {
    const path = join(dir, "agent.json");
    writeFileSync(path, "{ device: ");
    const r = run("agent/cli/main.ts", ["config", "check", "--config", path]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is not valid JSON/);
  });

  it("edge-agent refuses a config without a device identity", () => {
    const path = join(dir, "agent.json");
    writeFileSync(path, "{}");
    const r = run("agent/cli/main.ts", ["config", "check", "--config", path]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("device.id: required");
  });

  it("edge-agent accepts a minimal valid config", () => {
    const path = join(dir, "agent.json");
    writeFileSync(path, JSON.stringify({ device: { id: "speaker-1" } }));
    const r = run("agent/cli/main.ts", ["config", "check", "--config", path]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("edge-fleet lists all problems of a bad config", () => {
    const path = join(dir, "fleet.json");
    writeFileSync(path, JSON.stringify({ mqtt: { port: 70000, max_payload_bytes: 1 }, http: { port: "x" }, store: { driver: "oracle" } }));
    const r = run("broker/cli/main.ts", ["config", "check", "--config", path]);
    expect(r.status).toBe(2);
    for (const p of ["mqtt.port:", "mqtt.max_payload_bytes:", "http.port:", "store.driver"]) expect(r.stderr).toContain(p);
  });

  it("unknown commands and flags get one sentence and exit 2", () => {
    const a = run("agent/cli/main.ts", ["frobnicate"]);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = run("broker/cli/main.ts", ["serve", "--no-such-flag"]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/Unknown option '--no-such-flag'/);
  });
});
