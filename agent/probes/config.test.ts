import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatIssues } from "../../shared/validation.ts";
import { ProbesConfigSchema } from "./config.ts";
import { resolveApiKey, runProbes } from "./index.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("ProbesConfigSchema", () => {
  it("{} is a working config for the simulator on loopback, probing every 15 minutes", () => {
    const c = ProbesConfigSchema.parse({});
    expect(c).toMatchObject({ adapter: "realtime", interval_s: 900, status_page_url: "http://127.0.0.1:8787" });
    expect(c.realtime.url).toBe("ws://127.0.0.1:8787/v1/realtime");
  });

  it("reports every bad key at once, by path", () => {
    const r = ProbesConfigSchema.safeParse({ expected_answer_pattern: "(", realtime: { url: "http://x" }, probe_timeout_ms: 0 });
    expect(r.success).toBe(false);
    const issues = formatIssues(r.error!, "cloud").join("\n");
    for (const path of ["cloud.expected_answer_pattern", "cloud.realtime.url", "cloud.probe_timeout_ms"]) expect(issues).toContain(path);
  });

  it("refuses api_key together with api_key_file", () => {
    expect(ProbesConfigSchema.safeParse({ api_key: "k", api_key_file: "/f" }).success).toBe(false);
  });
});

describe("API key file", () => {
  it("reads and trims the key; a missing file fails the billable probes with a sentence, not a throw", async () => {
    const dir = mkdtempSync(join(tmpdir(), "probe-key-"));
    dirs.push(dir);
    writeFileSync(join(dir, "key"), "sk-file-key-123456\n");
    expect(await resolveApiKey(ProbesConfigSchema.parse({ api_key_file: join(dir, "key") }))).toEqual({ ok: true, key: "sk-file-key-123456" });
    const cfg = ProbesConfigSchema.parse({ api_key_file: join(dir, "missing"), status_page_url: null });
    const { text, voice } = await runProbes(cfg);
    expect(text!.error).toMatchObject({ code: "api_key_unreadable" });
    expect(text!.error!.message).toContain("cloud.api_key_file");
    expect(voice!.result).toBe("error");
  });
});
