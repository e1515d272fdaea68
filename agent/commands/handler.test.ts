import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandProgress, CommandResponse } from "../../shared/index.ts";
import { standardActions } from "./actions.ts";
import { HandledIds } from "./handled-ids.ts";
import { CommandUnit, type CommandActions } from "./handler.ts";

const NOW = 1_750_000_000_000;
const DEVICE = "speaker-1";

function setup(actions: CommandActions = standardActions({ now: () => NOW }), handled?: HandledIds) {
  const responses: CommandResponse[] = [];
  const progress: CommandProgress[] = [];
  const unit = new CommandUnit({
    deviceId: DEVICE,
    send: async (kind, msg) => {
      if (kind === "response") responses.push(msg as CommandResponse);
      if (kind === "progress") progress.push(msg as CommandProgress);
    },
    actions,
    log: pino({ level: "silent" }),
    now: () => NOW,
    maxPayloadBytes: 2048,
    ...(handled ? { handled } : {}),
  });
  unit.start();
  return { unit, responses, progress };
}

let n = 0;
function cmd(over: Record<string, unknown> = {}) {
  return { v: 1, device_id: DEVICE, ts: NOW - 1000, msg_id: `msg0000${n++}`, id: `cmd0000${n++}`, issuer: "tech@example.com", expires_at: NOW + 60_000, name: "ping", args: {}, ...over };
}
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("remote commands", () => {
  it("answers a ping with exactly one ok response in the {status, data, error, id} envelope", async () => {
    const { unit, responses } = setup();
    const c = cmd();
    await unit.handle(buf(c));
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ id: c.id, name: "ping", status: "ok", error: null, device_id: DEVICE, data: { pong: true } });
  });

  it.each([
    ["expired", { expires_at: NOW - 1 }, /expired/],
    ["wrong_device", { device_id: "speaker-2" }, /speaker-2/],
    ["unknown_command", { name: "shell", args: { cmd: "rm -rf /" } }, /not an allowed command/],
    ["invalid_args", { name: "set-cadence", args: { kind: "telemetry", interval_s: 1 } }, /args\.interval_s/],
    ["invalid_args", { name: "diagnose", args: { checks: ["system"], extra: "x".repeat(3000) } }, /over the 2048-byte limit/],
    ["malformed", { issuer: undefined }, /issuer/],
  ])("refuses with %s and a readable reason", async (code, over, reason) => {
    const ran: string[] = [];
    const { unit, responses } = setup({ ...standardActions({}), diagnose: async () => void ran.push("diagnose") });
    const c = cmd(over);
    await unit.handle(buf(c));
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ id: c.id, status: "error", data: null, error: { code } });
    expect(responses[0]!.error!.message).toMatch(reason);
    expect(ran).toEqual([]);
  });

  it("ignores payloads that carry no id to answer, and keeps running", async () => {
    const { unit, responses } = setup();
    await unit.handle(Buffer.from("not json"));
    await unit.handle(buf({ name: "ping" }));
    await unit.handle(buf(cmd()));
    expect(responses.map((r) => r.status)).toEqual(["ok"]);
  });

  it("runs a redelivered command once and answers it once, also after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmd-"));
    dirs.push(dir);
    let runs = 0;
    const actions: CommandActions = { ping: async () => ++runs };
    const c = cmd();
    const first = setup(actions, new HandledIds(100, join(dir, "handled.json")));
    await first.unit.handle(buf(c));
    await first.unit.handle(buf(c));
    const second = setup(actions, new HandledIds(100, join(dir, "handled.json")));
    await second.unit.handle(buf(c));
    expect(runs).toBe(1);
    expect(first.responses).toHaveLength(1);
    expect(second.responses).toHaveLength(0);
  });

  it("diagnose runs the runtime's diagnosis with the command id and chosen checks, with progress", async () => {
    const calls: unknown[] = [];
    const actions = standardActions({
      diagnose: async (id, checks) => {
        calls.push({ id, checks });
        return { diagnosis_id: "diag00000001", msg_id: "msg00000001", verdict: { fault: "network", summary: "Wi-Fi loss" } } as never;
      },
    });
    const { unit, responses, progress } = setup(actions);
    const c = cmd({ name: "diagnose", args: { checks: ["network", "text"] } });
    await unit.handle(buf(c));
    expect(calls).toEqual([{ id: c.id, checks: ["network", "text"] }]);
    expect(responses[0]).toMatchObject({ id: c.id, status: "ok", data: { diagnosis_id: "diag00000001", fault: "network" } });
    expect(progress.map((p) => [p.id, p.done, p.total])).toEqual([[c.id, 0, 1], [c.id, 1, 1]]);
  });

  it("a failing command is answered `failed` with a redacted message", async () => {
    const { unit, responses } = setup({ ping: async () => { throw new Error("upload to https://x/?token=abcdef123 failed"); } });
    const c = cmd();
    await unit.handle(buf(c));
    expect(responses[0]).toMatchObject({ id: c.id, status: "error", error: { code: "failed" } });
    expect(responses[0]!.error!.message).not.toContain("abcdef123");
  });

  it("refuses a second command of the same kind while the first runs (busy)", async () => {
    let release!: () => void;
    const { unit, responses } = setup({ bundle: () => new Promise((r) => (release = () => r({ done: true }))) });
    const a = cmd({ name: "bundle" });
    const b = cmd({ name: "bundle" });
    const running = unit.handle(buf(a));
    await unit.handle(buf(b));
    release();
    await running;
    expect(responses.map((r) => [r.id, r.status, r.error?.code ?? null])).toEqual([[b.id, "error", "busy"], [a.id, "ok", null]]);
  });

  it("set-cadence applies through the injected function and refuses a kind the device does not schedule", async () => {
    const set: unknown[] = [];
    const { unit, responses } = setup(standardActions({ setCadence: (kind, s) => (kind === "probes" ? false : (set.push([kind, s]), true)) }));
    await unit.handle(buf(cmd({ name: "set-cadence", args: { kind: "telemetry", interval_s: 300 } })));
    await unit.handle(buf(cmd({ name: "set-cadence", args: { kind: "probes", interval_s: 300 } })));
    expect(set).toEqual([["telemetry", 300]]);
    expect(responses.map((r) => r.status)).toEqual(["ok", "error"]);
  });
});
