import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fleet.ts";
import { RestartableFleet, sleep, tempDir } from "./harness.ts";

function spawnAgent(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["tests/reliability/fixtures/spooling-agent.ts", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => (d.toString().includes("spooled") ? resolve(child) : reject(new Error(`agent said ${d}`))));
    child.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
  });
}

describe("kill -9 of the agent with reports in the spool", () => {
  let fleet: RestartableFleet | undefined;
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await fleet?.dispose();
    fleet = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("delivers the rest after a restart, in order, deduplicated", async () => {
    fleet = new RestartableFleet();
    const server = await fleet.start();
    const secret = await fleet.provision("speaker-k9");
    const seen: number[] = [];
    server.events.on("telemetry", (t) => seen.push(t.seq));
    const spoolDir = tempDir("spool-k9-");
    dirs.push(spoolDir);

    // 40 reports spooled at once, published slowly (10/s): killed a few reports in, most are still on disk
    const first = await spawnAgent([fleet.url, "speaker-k9", secret, spoolDir, "0", "40", "10"]);
    children.push(first);
    await waitFor(() => seen.length >= 5, 10_000, "first reports delivered");
    first.kill("SIGKILL");
    await once(first, "exit");
    const deliveredBeforeKill = seen.length;
    expect(deliveredBeforeKill).toBeLessThan(40);

    // the same spool directory, a new process that produces nothing new
    children.push(await spawnAgent([fleet.url, "speaker-k9", secret, spoolDir, "0", "0", "100"]));
    await waitFor(() => seen.length >= 40, 15_000, "all 40 reports after the restart");
    await sleep(300);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
