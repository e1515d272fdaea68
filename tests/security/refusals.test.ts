import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../../shared/index.ts";
import { startFleet, type Harness } from "../../broker/testing/harness.ts";
import { figure } from "../summary/figure.ts";

const ADMIN = "refusals-admin-token-0123456789abcdef0123";

/** Resolves with the refusal a connection attempt met; rejects if the broker let it in. */
function refused(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const done = (why: string) => (c.end(true), resolve(why));
    c.once("connect", () => (c.end(true), reject(new Error(`connected as ${String(opts.clientId)}`))));
    c.once("error", (err) => done(err.message));
    c.once("close", () => done("closed"));
  });
}

/**
 * The refusals broker/mqtt/security.test.ts does not already show (wrong password, identity mismatch,
 * revoked, other CA, cross-device ACL and rate limits are there): no credentials at all, an unknown
 * device, and the command allowlist at the API edge.
 */
describe("refused at the door", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    delete process.env.EDGE_FLEET_ADMIN_TOKEN;
  });

  it("no credentials, an empty password and an unprovisioned device are refused and counted", async (ctx) => {
    h = await startFleet();
    await h.addDevice("dev-known");
    const reasons = [
      await refused(h.mqttUrl, { clientId: "dev-known" }),
      await refused(h.mqttUrl, { clientId: "dev-known", username: "dev-known", password: "" }),
      await refused(h.mqttUrl, { clientId: "dev-ghost", username: "dev-ghost", password: "x".repeat(43) }),
    ];
    for (const r of reasons) expect(r).toMatch(/Bad username or password|Not authorized|closed/i);
    expect(h.fleet.refusals.snapshot().auth_failed).toBe(3);
    expect(await h.fleet.store.getDevice("dev-ghost")).toBeNull();
    figure(ctx, "3 of 3 attempts refused (no credentials, empty password, unknown device), 3 counted as auth_failed");
  });

  it("the API accepts only allowlisted command names and checks each one's arguments", async (ctx) => {
    process.env.EDGE_FLEET_ADMIN_TOKEN = ADMIN;
    h = await startFleet();
    await h.addDevice("dev-cmd");
    const post = (body: unknown) =>
      h!.fleet.app.inject({ method: "POST", url: "/api/devices/dev-cmd/commands", headers: { authorization: `Bearer ${ADMIN}` }, payload: body as Record<string, unknown> });
    const outside = ["reboot", "shell", "exec", "update-firmware", "__proto__", "constructor", "PING", ""];
    for (const name of outside) {
      const r = await post({ name });
      expect(r.statusCode, name).toBe(400);
    }
    expect((await post({ name: "set-cadence", args: { kind: "telemetry", interval_s: -1 } })).statusCode).toBe(400);
    expect((await post({ name: "ping", args: { cmd: "rm -rf /" } })).statusCode).toBe(400);
    expect((await post({ name: "ping" })).statusCode).toBe(202);
    // only the allowlisted one was ever published to the device
    expect((await h.fleet.commands.list({ deviceId: "dev-cmd" })).map((c) => c.name)).toEqual(["ping"]);
    figure(ctx, `${outside.length} names outside the allowlist (${COMMAND_NAMES.join(", ")}) and 2 bad argument sets refused with 400; 1 allowlisted command sent`);
  });
});
