import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ProbesConfigSchema } from "../../agent/probes/config.ts";
import { SamplersConfigSchema } from "../../agent/samplers/index.ts";
import { ROOT, runTs } from "./helpers.ts";

const EXAMPLES = ["smart-speaker", "companion"] as const;
const example = (name: string) => JSON.parse(readFileSync(join(ROOT, "deploy", "config", `${name}.json`), "utf8")) as Record<string, Record<string, unknown>>;

/** Keys the schema dropped: a misspelt option that would silently fall back to its default. */
function droppedKeys(input: unknown, parsed: unknown, path = ""): string[] {
  if (!input || typeof input !== "object" || Array.isArray(input)) return [];
  const out = parsed as Record<string, unknown>;
  return Object.entries(input).flatMap(([k, v]) => (out && k in out ? droppedKeys(v, out[k], `${path}${k}.`) : [`${path}${k}`]));
}

describe("example device configs in deploy/config", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(EXAMPLES)("%s passes `edge-agent config check` once its credentials file is in place", (name) => {
    dir = mkdtempSync(join(tmpdir(), "edge-example-"));
    const creds = join(dir, "device-credentials.json");
    writeFileSync(creds, JSON.stringify({ device_id: `${name}-0001`, mqtt: { url: "mqtts://fleet.example.com:8883", username: `${name}-0001`, password: "s" } }), { mode: 0o600 });
    const cfg = example(name);
    cfg.mqtt!.credentials_file = creds;
    writeFileSync(join(dir, "agent.json"), JSON.stringify(cfg));
    const r = runTs("agent/cli/main.ts", ["config", "check", "--config", join(dir, "agent.json")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`device ${name}-0001`);
  });

  it.each(EXAMPLES)("%s uses only options the samplers and cloud probes know", (name) => {
    const cfg = example(name);
    const samplers = SamplersConfigSchema.safeParse(cfg.samplers);
    const cloud = ProbesConfigSchema.safeParse(cfg.cloud);
    expect(samplers.error?.issues ?? []).toEqual([]);
    expect(cloud.error?.issues ?? []).toEqual([]);
    expect(droppedKeys(cfg.samplers, samplers.data)).toEqual([]);
    expect(droppedKeys(cfg.cloud, cloud.data)).toEqual([]);
  });

  it("the fleet example passes `edge-fleet config check`", () => {
    const r = runTs("broker/cli/main.ts", ["config", "check", "--config", join(ROOT, "deploy/config/fleet.json")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
