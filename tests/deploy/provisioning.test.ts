import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, runTs } from "./helpers.ts";

/** The factory flow of docs/deploy/provisioning.md, step by step, with the real CLIs. */
describe("provisioning: edge-fleet devices add → edge-agent config", () => {
  let dir = "";
  let fleetConfig = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "edge-provision-"));
    fleetConfig = join(dir, "fleet.json");
    writeFileSync(fleetConfig, JSON.stringify({ store: { driver: "sqlite", path: join(dir, "fleet.db") } }));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const agentConfig = (extra: Record<string, unknown> = {}) => {
    const cfg = JSON.parse(readFileSync(join(ROOT, "deploy/config/smart-speaker.json"), "utf8")) as Record<string, Record<string, unknown>>;
    cfg.mqtt!.credentials_file = join(dir, "device-credentials.json");
    Object.assign(cfg.device!, extra);
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify(cfg), { mode: 0o600 });
    return file;
  };

  it("gives the device an identity the agent config consumes, with the secret only in a 0600 file", () => {
    const creds = join(dir, "device-credentials.json");
    const add = runTs("broker/cli/main.ts", ["devices", "add", "--config", fleetConfig, "--id", "spk-0001", "--label", "model=speaker-mk2", "--mqtt-url", "mqtts://fleet.example.com:8883", "--out", creds]);
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(creds, "utf8")) as { device_id: string; mqtt: { url: string; username: string; password: string } };
    expect(written).toMatchObject({ device_id: "spk-0001", mqtt: { url: "mqtts://fleet.example.com:8883", username: "spk-0001" } });
    expect(add.stdout).not.toContain(written.mqtt.password);

    const list = runTs("broker/cli/main.ts", ["devices", "list", "--config", fleetConfig, "--json"]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: "spk-0001", status: "active", labels: { model: "speaker-mk2" } })]);

    const config = agentConfig();
    const check = runTs("agent/cli/main.ts", ["config", "check", "--config", config]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain("device spk-0001");
    const show = runTs("agent/cli/main.ts", ["config", "show", "--config", config]);
    expect(show.status, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout) as { device: { id: string }; mqtt: { username: string; url: string } };
    expect(shown.device.id).toBe("spk-0001");
    expect(shown.mqtt.username).toBe("spk-0001");
    // The config's own fleet URL wins over the one in the credentials file.
    expect(shown.mqtt.url).toBe("mqtts://fleet.example.com:8883");
    expect(show.stdout).not.toContain(written.mqtt.password);
  });

  it("refuses a second identity for a provisioned device, and an agent config naming another device", () => {
    const creds = join(dir, "device-credentials.json");
    expect(runTs("broker/cli/main.ts", ["devices", "add", "--config", fleetConfig, "--id", "spk-0002", "--out", creds]).status).toBe(0);
    const again = runTs("broker/cli/main.ts", ["devices", "add", "--config", fleetConfig, "--id", "spk-0002", "--out", join(dir, "other.json")]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("rotate");
    const check = runTs("agent/cli/main.ts", ["config", "check", "--config", agentConfig({ id: "spk-9999" })]);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain("differs from 'spk-0002'");
  });
});
