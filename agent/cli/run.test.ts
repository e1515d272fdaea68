import { describe, expect, it } from "vitest";
import { LogRing } from "../bundle/log-ring.ts";
import { resolveAgentConfig } from "../config/index.ts";
import { rememberSecrets } from "./run.ts";

const config = (password: string) =>
  resolveAgentConfig(
    {
      device: { id: "spk-rot", firmware_version: "fw-1", model: "speaker-x", region: "eu" },
      mqtt: { url: "mqtts://fleet.example.com:8883", username: "spk-rot", password },
      cloud: { api_key: "sk-cloud-key-123456" },
      spool: { dir: "/tmp/edge-run-test-spool" },
    },
    "test config",
  );

describe("secrets after a SIGHUP reload", () => {
  it("a rotated MQTT password is masked in the log ring from the reload on, and the old one still is", async () => {
    const secrets: string[] = [];
    await rememberSecrets(secrets, config("old-mqtt-secret-1"));
    const ring = new LogRing(10, { knownSecrets: secrets });
    await rememberSecrets(secrets, config("new-mqtt-secret-2"));
    ring.stream.write(`${JSON.stringify({ msg: "reconnect with new-mqtt-secret-2 after old-mqtt-secret-1, cloud sk-cloud-key-123456" })}\n`);
    const line = ring.lines(1).join("\n");
    expect(line).not.toMatch(/new-mqtt-secret-2|old-mqtt-secret-1|sk-cloud-key-123456/);
    expect(line).toMatch(/reconnect with .+ after .+, cloud /);
    // reloading the same config again adds nothing
    await rememberSecrets(secrets, config("new-mqtt-secret-2"));
    expect(secrets).toEqual(["old-mqtt-secret-1", "sk-cloud-key-123456", "new-mqtt-secret-2"]);
  });
});
