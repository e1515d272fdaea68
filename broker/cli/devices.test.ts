import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifySecret } from "../auth/secrets.ts";
import { fleetConfig } from "../config/load.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { devicesCommand } from "./devices.ts";

let dir: string;
let out: string[];
let err: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fleet-cli-"));
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const config = () => fleetConfig({ store: { driver: "sqlite", path: join(dir, "fleet.db") }, mqtt: { port: 18830 } });

async function credential(id: string) {
  const store = new SqliteStore(join(dir, "fleet.db"));
  await store.open();
  try {
    return await store.getCredential(id);
  } finally {
    await store.close();
  }
}

describe("edge-fleet devices", () => {
  it("add prints the secret once and stores only its hash", async () => {
    expect(await devicesCommand(config(), ["add"], { id: "dev-1", label: ["region=eu"] })).toBe(0);
    const printed = JSON.parse(out.join("\n")) as { device_id: string; mqtt: { url: string; username: string; password: string } };
    expect(printed).toMatchObject({ device_id: "dev-1", mqtt: { url: "mqtt://127.0.0.1:18830", username: "dev-1" } });
    const cred = await credential("dev-1");
    expect(cred).toMatchObject({ status: "active", labels: { region: "eu" } });
    expect(cred!.secretHash).not.toContain(printed.mqtt.password);
    expect(await verifySecret(printed.mqtt.password, cred!.secretHash)).toBe(true);

    out = [];
    expect(await devicesCommand(config(), ["list"], { json: true })).toBe(0);
    const listed = JSON.parse(out.join("\n")) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id: "dev-1", status: "active" })]);
    expect(JSON.stringify(listed)).not.toMatch(/secret|scrypt/i);
  });

  it("writes credentials to a 0600 file with --out, and refuses duplicates and bad ids with a clear sentence", async () => {
    const file = join(dir, "creds.json");
    await devicesCommand(config(), ["add", "dev-2"], { out: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(out.join("\n")).not.toContain((JSON.parse(readFileSync(file, "utf8")) as { mqtt: { password: string } }).mqtt.password);
    await expect(devicesCommand(config(), ["add", "dev-2"], {})).rejects.toThrow(/already exists; use 'edge-fleet devices rotate dev-2'/);
    await expect(devicesCommand(config(), ["add"], { id: "bad/id" })).rejects.toThrow(/device id 'bad\/id'/);
    await expect(devicesCommand(config(), ["frobnicate"], {})).rejects.toThrow(/unknown devices command 'frobnicate'/);
  });

  it("rotate replaces the secret (the old one stops working) and revoke marks the device revoked", async () => {
    await devicesCommand(config(), ["add", "dev-3"], {});
    const first = (JSON.parse(out.join("\n")) as { mqtt: { password: string } }).mqtt.password;
    out = [];
    expect(await devicesCommand(config(), ["rotate", "dev-3"], {})).toBe(0);
    const second = (JSON.parse(out.join("\n")) as { mqtt: { password: string } }).mqtt.password;
    expect(second).not.toBe(first);
    const cred = await credential("dev-3");
    expect(await verifySecret(first, cred!.secretHash)).toBe(false);
    expect(await verifySecret(second, cred!.secretHash)).toBe(true);

    expect(await devicesCommand(config(), ["revoke", "dev-3"], {})).toBe(0);
    expect((await credential("dev-3"))!.status).toBe("revoked");
    await expect(devicesCommand(config(), ["revoke", "nope"], {})).rejects.toThrow(/not provisioned/);
  });

  it("service-secret prints a secret with the scrypt hash to configure a service account", async () => {
    expect(await devicesCommand(config(), ["service-secret"], {})).toBe(0);
    const { secret, secret_hash } = JSON.parse(out.join("\n")) as { secret: string; secret_hash: string };
    expect(await verifySecret(secret, secret_hash)).toBe(true);
  });
});
