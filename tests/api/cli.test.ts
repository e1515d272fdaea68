import { existsSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isRemoteCommand, remoteMain } from "../../broker/cli/remote/commands.ts";
import { diagnosisMsg, stateMsg, telemetryMsg } from "../../broker/testing/messages.ts";
import { newMessageId, SCHEMA_VERSION } from "../../shared/index.ts";
import { startApi, type Api } from "./harness.ts";

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

describe("edge-fleet CLI against a running server", () => {
  let api: Api;
  const files: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await api?.close();
    for (const f of files.splice(0)) rmSync(f, { force: true });
  });

  async function serve() {
    api = await startApi();
    await api.app.listen({ port: 0, host: "127.0.0.1" });
    return { EDGE_FLEET_URL: `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}` };
  }

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, "error").mockImplementation((s: string) => void err.push(s));
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    return { out, err };
  }

  it("tells remote commands from the local provisioning ones", () => {
    expect(isRemoteCommand(["devices", "ls"])).toBe(true);
    expect(isRemoteCommand(["--url", "http://x", "devices", "show", "a"])).toBe(true);
    expect(isRemoteCommand(["devices", "list"])).toBe(false);
    expect(isRemoteCommand(["devices", "add", "--id", "x"])).toBe(false);
    expect(isRemoteCommand(["diagnose", "speaker-1"])).toBe(true);
    expect(isRemoteCommand(["serve"])).toBe(false);
  });

  it("lists devices for people and for scripts, and explains a missing or bad token", async () => {
    const env = await serve();
    await api.store.applyState(stateMsg("speaker-1", T0, { region: "eu" }), T0);
    let io = capture();
    expect(await remoteMain(["devices", "ls"], { ...env, EDGE_FLEET_TOKEN: api.secrets.viewer })).toBe(0);
    expect(io.out[0]).toMatch(/^DEVICE\s+STATE\s+FAULT/);
    expect(io.out[0]).toMatch(/speaker-1\s+online/);
    vi.restoreAllMocks();
    io = capture();
    expect(await remoteMain(["devices", "ls", "--json"], { ...env, EDGE_FLEET_TOKEN: api.secrets.viewer })).toBe(0);
    expect(JSON.parse(io.out[0]!)[0].id).toBe("speaker-1");
    await expect(remoteMain(["devices", "ls"], env)).rejects.toThrow(/no API token: pass --token or set EDGE_FLEET_TOKEN/);
    vi.restoreAllMocks();
    io = capture();
    expect(await remoteMain(["diagnose", "speaker-1"], { ...env, EDGE_FLEET_TOKEN: api.secrets.viewer })).toBe(1);
    expect(io.err.join("")).toMatch(/needs the technician role/);
  });

  it("diagnose follows the command live and prints the verdict; exit 3 because a fault was found", async () => {
    const env = await serve();
    await api.store.applyState(stateMsg("speaker-1", T0), T0);
    const send = api.units.commands.send;
    // the device side: progress, then the diagnosis carrying the command id, as the agent sends them
    api.units.commands.send = (o) => {
      const c = send(o) as { id: string };
      setTimeout(() => {
        api.events.emit("progress", { v: SCHEMA_VERSION, device_id: "speaker-1", ts: T0, msg_id: newMessageId(), id: c.id, step: "text probe", done: 1, total: 2, detail: "asking" });
        api.events.emit("diagnosis", { ...diagnosisMsg("speaker-1", T0, { fault: "voice_capture" }), command_id: c.id });
      }, 50);
      return c as never;
    };
    const io = capture();
    expect(await remoteMain(["diagnose", "speaker-1", "--check", "voice"], { ...env, EDGE_FLEET_TOKEN: api.secrets.technician })).toBe(3);
    expect(api.units.sent[0]).toMatchObject({ name: "diagnose", args: { checks: ["voice"] } });
    expect(io.err.join("")).toContain("[1/2] text probe: asking");
    expect(io.out.join("\n")).toMatch(/speaker-1: voice_capture — voice_capture detected/);
  });

  it("bundle saves the device's bundle to a file", async () => {
    const env = await serve();
    await api.store.applyState(stateMsg("speaker-1", T0), T0);
    const file = join(tmpdir(), `bundle-${process.pid}.json`);
    files.push(file);
    capture();
    expect(await remoteMain(["bundle", "speaker-1", "--out", file], { ...env, EDGE_FLEET_TOKEN: api.secrets.technician })).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ logs: ["line"] });
  });

  it("acts on tickets and silences", async () => {
    const env = { ...(await serve()), EDGE_FLEET_TOKEN: api.secrets.admin };
    const io = capture();
    expect(await remoteMain(["silences", "add", "--matcher", "region=eu", "--comment", "maintenance", "--duration", "30"], env)).toBe(0);
    expect(io.out[0]).toMatch(/^silence sil-1 until /);
    expect(await remoteMain(["silences", "add", "--comment", "x"], env).catch((e: Error) => e.message)).toMatch(/at least one --matcher/);
    expect(await remoteMain(["tickets", "ack", "42"], env)).toBe(1);
    expect(io.err.join("")).toMatch(/ticket 42 not found/);
  });

  it("lists dead letters: the report that kept failing names its device and message id", async () => {
    const env = { ...(await serve()), EDGE_FLEET_TOKEN: api.secrets.technician };
    await api.store.addDeadLetter({ at: Date.now() - 120_000, target: "pager", attempts: 6, error: "HTTP 503", body: { action: "trigger" } });
    await api.store.addDeadLetter({ at: Date.now() - 60_000, target: "ingest:diagnosis", attempts: 3, error: "refused by the site constraint", body: { device_id: "speaker-9", msg_id: "m-9" } });
    const io = capture();
    expect(isRemoteCommand(["dead-letters"])).toBe(true);
    expect(await remoteMain(["dead-letters"], env)).toBe(0);
    const lines = io.out.join("\n").split("\n");
    expect(lines[0]).toMatch(/^ID\s+WHEN\s+TARGET\s+TRIES\s+REPORT\s+ERROR/);
    expect(lines[1]).toMatch(/^2\s+1m ago\s+ingest:diagnosis\s+3\s+speaker-9 m-9\s+refused by the site constraint/);
    expect(lines[2]).toMatch(/^1\s+2m ago\s+pager\s+6\s+-\s+HTTP 503/);
    expect(await remoteMain(["dead-letters", "ls", "--limit", "1", "--json"], env)).toBe(0);
    expect(JSON.parse(io.out.at(-1)!)).toHaveLength(1);
    expect(await remoteMain(["dead-letters", "--limit", "0"], env).catch((e: Error) => e.message)).toMatch(/--limit is a whole number from 1 to 5000/);
    // a viewer may not read them: the fleet says so in one sentence
    expect(await remoteMain(["dead-letters"], { ...env, EDGE_FLEET_TOKEN: api.secrets.viewer })).toBe(1);
    expect(io.err.join("")).toMatch(/technician/);
    // replay: a webhook notification is refused in one sentence, a device report is processed
    expect(await remoteMain(["dead-letters", "replay", "1"], env)).toBe(1);
    expect(io.err.join("")).toMatch(/dead letter 1 \(pager\) is a webhook notification, not a device report/);
    const t = telemetryMsg("speaker-9", Date.now(), 4);
    await api.store.addDeadLetter({ at: Date.now(), target: "ingest:telemetry", attempts: 3, error: "refused", body: t }, { msgId: t.msg_id, deviceId: "speaker-9" });
    expect(await remoteMain(["dead-letters", "replay", "3"], env)).toBe(0);
    expect(io.out.at(-1)).toBe("dead letter 3 replayed (ingest:telemetry): accepted");
    expect((await api.store.history("speaker-9", 0, 10)).map((p) => p.telemetry.seq)).toEqual([4]);
    expect(await remoteMain(["dead-letters", "replay"], env).catch((e: Error) => e.message)).toMatch(/name the dead letter by its number/);
    expect(await remoteMain(["dead-letters", "rm", "1"], env)).toBe(0);
    expect(io.out.at(-1)).toBe("dead letter 1 discarded");
    expect((await api.store.listDeadLetters()).map((l) => l.id)).toEqual([2]);
  });
});
