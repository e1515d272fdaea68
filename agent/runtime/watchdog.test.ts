import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { systemdNotifySender, Watchdog, type NotifyResult } from "./watchdog.ts";

const log = createLogger("silent");

/** A fake interval scheduler: ticks run when the test says so. */
function fakeTimers() {
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  return {
    timers,
    setInterval: (fn: () => void, ms: number) => (timers.push({ fn, ms, cleared: false }), timers.length - 1),
    clearInterval: (h: unknown) => void (timers[h as number]!.cleared = true),
  };
}

function recorder(result: NotifyResult = { result: "ok" }) {
  const sent: string[][] = [];
  return { sent, send: async (a: readonly string[]) => (sent.push([...a]), result) };
}

describe("Watchdog with an injected sender", () => {
  it("does nothing when not started by systemd (no NOTIFY_SOCKET)", async () => {
    const r = recorder();
    const t = fakeTimers();
    const w = new Watchdog({ log, env: { WATCHDOG_USEC: "30000000" }, send: r.send, ...t });
    await w.start();
    await w.status("x");
    await w.stop();
    expect(w.enabled).toBe(false);
    expect(r.sent).toEqual([]);
    expect(t.timers).toEqual([]);
  });

  it("reports ready, keeps alive every half WatchdogSec, and says stopping", async () => {
    const r = recorder();
    const t = fakeTimers();
    const w = new Watchdog({ log, env: { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000" }, send: r.send, ...t });
    await w.start("sampling");
    expect(r.sent).toEqual([["READY=1", "STATUS=sampling"]]);
    expect(t.timers[0]!.ms).toBe(15_000);
    t.timers[0]!.fn();
    t.timers[0]!.fn();
    await Promise.resolve();
    expect(r.sent.filter((a) => a[0] === "WATCHDOG=1")).toHaveLength(1); // the second tick overlapped the first
    await new Promise((res) => setImmediate(res));
    t.timers[0]!.fn();
    await new Promise((res) => setImmediate(res));
    expect(r.sent.filter((a) => a[0] === "WATCHDOG=1")).toHaveLength(2);
    await w.stop();
    expect(t.timers[0]!.cleared).toBe(true);
    expect(r.sent.at(-1)).toEqual(["STOPPING=1"]);
  });

  it("does not ping for a watchdog that watches another process (WATCHDOG_PID)", async () => {
    const r = recorder();
    const t = fakeTimers();
    const w = new Watchdog({ log, pid: 42, env: { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "41" }, send: r.send, ...t });
    await w.start();
    expect(w.intervalMs).toBeNull();
    expect(t.timers).toEqual([]);
    expect(r.sent).toEqual([["READY=1", "STATUS=running"]]);
  });

  it("withholds the keep-alive while the agent reports itself unhealthy, so systemd restarts it", async () => {
    const r = recorder();
    const t = fakeTimers();
    let healthy = false;
    const w = new Watchdog({ log, env: { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "2000000" }, send: r.send, healthy: () => healthy, ...t });
    await w.start();
    t.timers[0]!.fn();
    await new Promise((res) => setImmediate(res));
    expect(r.sent.some((a) => a[0] === "WATCHDOG=1")).toBe(false);
    healthy = true;
    t.timers[0]!.fn();
    await new Promise((res) => setImmediate(res));
    expect(r.sent.some((a) => a[0] === "WATCHDOG=1")).toBe(true);
    await w.stop();
  });

  it("counts a failed notification instead of throwing", async () => {
    const r = recorder({ result: "error", message: "systemd-notify is not installed" });
    const w = new Watchdog({ log, env: { NOTIFY_SOCKET: "/run/x" }, send: r.send, ...fakeTimers() });
    await expect(w.start()).resolves.toBeUndefined();
    expect(w.failures).toBe(1);
  });

  it("turns a missing systemd-notify into data", async () => {
    const send = systemdNotifySender("/nonexistent/systemd-notify");
    expect(await send(["READY=1"], { NOTIFY_SOCKET: "/run/x" }, new AbortController().signal)).toEqual({ result: "error", message: "/nonexistent/systemd-notify is not installed" });
  });
});

// A real NOTIFY_SOCKET: Node cannot bind a unix datagram socket, so a few lines of Python stand in for
// systemd's listener. Its plain recv() drops the barrier fd systemd-notify passes, which releases it.
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", " ").strip(), flush=True)
`;

const haveTools = ["systemd-notify", "python3"].every((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
const required = process.env.EDGE_REQUIRE_SERVICES === "1";

describe.skipIf(!haveTools && !required)("Watchdog through systemd-notify and a real NOTIFY_SOCKET", () => {
  let dir = "";
  let listener: ChildProcess | null = null;
  let watchdog: Watchdog | null = null;
  afterEach(async () => {
    await watchdog?.stop();
    listener?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("delivers READY=1, WATCHDOG=1 and STOPPING=1 to the socket", async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-notify-"));
    const socket = join(dir, "notify.sock");
    listener = spawn("python3", ["-c", LISTENER, socket], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    listener.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      lines.push(...chunk.split("\n").filter(Boolean));
      waiters.splice(0).forEach((w) => w());
    });
    const waitFor = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((res) => waiters.push(res));
    };
    await waitFor(() => lines.includes("ready"));
    // 200 ms WatchdogSec → keep-alives every 100 ms; the test waits for them, it does not time them.
    watchdog = new Watchdog({ log, env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: "200000" } });
    await watchdog.start("probing");
    await waitFor(() => lines.includes("WATCHDOG=1"));
    await watchdog.stop();
    watchdog = null;
    await waitFor(() => lines.includes("STOPPING=1"));
    expect(lines).toContain("READY=1 STATUS=probing");
  });
});
