import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, type TestContext } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { StateMessage } from "../../shared/index.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { figure } from "../summary/figure.ts";
import { agentConfig, realTransport, telemetryMsg } from "./helpers.ts";
import { FaultyLink, type LinkMode } from "./tcp-proxy.ts";

const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const ID = "speaker-link";

/**
 * The link between one agent (its real transport, disk spool, keepalive 5 s) and the fleet goes through a
 * proxy the test breaks in three ways. What a user relies on: no report is lost or doubled, the fleet shows
 * the device offline while it is unreachable (its Last Will) and online again once the link is back.
 */
describe("network cut, black-holed and delayed between agent and fleet", () => {
  let fleet: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let link: FaultyLink | undefined;
  let transport: MqttTransport | undefined;
  let spoolDir: string | undefined;
  afterEach(async () => {
    await transport?.stop();
    await link?.stop();
    await fleet?.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    fleet = link = transport = spoolDir = undefined;
  });

  async function setup() {
    fleet = await startTestFleet();
    const { secret } = await fleet.provision(ID);
    link = new FaultyLink({ host: "127.0.0.1", port: fleet.fleet.broker.ports.tcp });
    await link.start();
    const states: (StateMessage & { at: number })[] = [];
    const seqs: number[] = [];
    fleet.fleet.events.on("state", (s) => s.device_id === ID && states.push({ ...s, at: Date.now() }));
    fleet.fleet.events.on("telemetry", (t) => t.device_id === ID && seqs.push(t.seq));
    spoolDir = mkdtempSync(join(tmpdir(), "spool-link-"));
    transport = realTransport(agentConfig({ id: ID, secret, url: link.url, spoolDir, keepaliveS: 5 }), silent).transport;
    await transport.start();
    await waitFor(() => transport!.connected && states.at(-1)?.status === "online", 10_000, "device online");
    let seq = 0;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await transport!.send("telemetry", telemetryMsg(ID, seq++));
    };
    return { states, seqs, send, sent: () => seq };
  }

  /** Breaks the link, reports through the outage, heals it; returns how long the fleet took to see the device offline. */
  async function outage(ctx: TestContext, mode: Exclude<LinkMode, "pass" | "delay">) {
    const { states, seqs, send, sent } = await setup();
    await send(5);
    await waitFor(() => seqs.length === 5, 10_000, "first reports");
    const t0 = Date.now();
    link!.set(mode);
    await send(5); // while the agent may still believe it is connected
    // a cut resets the agent's socket; a black hole tells it nothing, only its own keepalive can notice
    if (mode === "blackhole") expect(transport!.connected).toBe(true);
    const offline = await waitFor(() => states.find((s) => s.status === "offline"), 20_000, "fleet marks the device offline");
    const detectMs = offline.at - t0;
    expect(offline.reason).toBe("will");
    expect((await fleet!.fleet.store.getDevice(ID))?.online).toBe(false);
    await waitFor(() => !transport!.connected, 15_000, "agent notices the link is gone");
    await send(10);
    expect(transport!.spoolStatus().depth).toBeGreaterThanOrEqual(10);
    link!.set("pass");
    await waitFor(() => states.at(-1)?.status === "online", 15_000, "fleet marks the device online again");
    await waitFor(() => seqs.length >= sent() && transport!.spoolStatus().depth === 0, 15_000, "spool drained");
    expect(seqs).toEqual(Array.from({ length: sent() }, (_, i) => i)); // every report, in order, once
    expect(transport!.spoolStatus().dropped_total).toBe(0);
    expect((await fleet!.fleet.store.getDevice(ID))?.online).toBe(true);
    figure(ctx, `${sent()} reports, 0 lost, 0 duplicated; offline seen after ${(detectMs / 1000).toFixed(1)} s (keepalive 5 s), online again after healing`);
  }

  it("cut: the fleet sees the device offline at once, the agent spools and delivers everything after", async (ctx) => {
    await outage(ctx, "cut");
  }, 60_000);

  it("black hole: keepalive expiry fires the Last Will, the agent detects the dead link itself, nothing lost", async (ctx) => {
    await outage(ctx, "blackhole");
  }, 60_000);

  it("delay of 400 ms each way: reports keep flowing in order and the device stays online", async (ctx) => {
    const { states, seqs, send, sent } = await setup();
    link!.set("delay", 400);
    await send(20);
    await waitFor(() => seqs.length >= 20 && transport!.spoolStatus().depth === 0, 20_000, "reports through a slow link");
    // longer than a keepalive period, so PINGREQ/PINGRESP crossed the slow link too
    await new Promise((r) => setTimeout(r, 6000));
    await send(1);
    await waitFor(() => seqs.length === sent(), 10_000, "last report");
    expect(seqs).toEqual(Array.from({ length: sent() }, (_, i) => i));
    expect(states.filter((s) => s.status === "offline")).toEqual([]);
    expect(transport!.connected).toBe(true);
    figure(ctx, `${sent()} reports through +400 ms per chunk each way: 0 lost, 0 duplicated, 0 offline transitions`);
  }, 60_000);
});
