import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { fleetConfig } from "../../broker/config/load.ts";
import { startTestFleet } from "../helpers/fleet.ts";

type Fleet = Awaited<ReturnType<typeof startTestFleet>>;

describe("device identity cannot be borrowed", () => {
  let f: Fleet | undefined;
  afterEach(async () => {
    await f?.stop();
    f = undefined;
  });

  it("a lab broker with anonymous access still refuses a passwordless client using a provisioned device's id", async () => {
    f = await startTestFleet({ mqtt: { allow_anonymous: true } });
    await f.provision("speaker-owned");
    await expect(mqtt.connectAsync(f.mqttUrl, { clientId: "speaker-owned", reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow(/Bad username or password|Not authorized/i);
    // an unprovisioned id is what anonymous mode is for
    const lab = await mqtt.connectAsync(f.mqttUrl, { clientId: "lab-device", reconnectPeriod: 0 });
    expect(lab.connected).toBe(true);
    await lab.endAsync();
    expect(f.fleet.refusals.counts.get("auth_failed")).toBe(1);
  });

  it("mutual TLS without our own CA is refused at configuration time (public roots would admit any CN)", () => {
    expect(() => fleetConfig({ mqtt: { tls: { cert_file: "c.pem", key_file: "k.pem", require_client_cert: true } } })).toThrow(/mqtt.tls.ca_file: require_client_cert needs ca_file/);
  });
});
