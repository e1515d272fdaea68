import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { topicFor } from "../../shared/index.ts";
import { diagnosisMsg, encode, stateMsg, telemetryMsg } from "../../broker/testing/messages.ts";
import { startFleet, type Harness } from "../../broker/testing/harness.ts";
import { figure } from "../summary/figure.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loopback webhook receiver: `/hang` never answers, `/fail` answers 500. Records arrivals on the fleet's clock. */
async function hookServer(clock: () => number) {
  const arrivals: { path: string; at: number }[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    arrivals.push({ path: (req.url ?? "").split("?")[0]!, at: clock() });
    req.resume();
    if (req.url?.startsWith("/fail")) res.writeHead(500).end("down");
    else open.add(res); // hang: headers never come
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    arrivals,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("webhook target down or hanging", () => {
  let h: Harness | undefined;
  let hooks: Awaited<ReturnType<typeof hookServer>> | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await h?.close();
    await hooks?.close();
    h = hooks = undefined;
  });

  it("retries with exponential backoff, dead-letters after the last attempt, and ingestion never waits for it", async (ctx) => {
    let clock = () => 0;
    hooks = await hookServer(() => clock());
    h = await startFleet({
      notify: {
        webhooks: [{ name: "hanging", url: hooks.url("/hang") }, { name: "failing", url: hooks.url("/fail") }],
        max_attempts: 4,
        backoff_initial_ms: 1000,
        timeout_ms: 5000,
      },
      tickets: { group_wait_ms: 0 },
      mqtt: { publish_rate: { per_second: 1000, burst: 1000 } },
    });
    const scheduler = h.scheduler;
    clock = scheduler.now;
    const t0 = scheduler.now();
    const secret = await h.addDevice("dev-hook");
    const c = await mqtt.connectAsync(h.mqttUrl, { clientId: "dev-hook", username: "dev-hook", password: secret, reconnectPeriod: 0 });
    clients.push(c);
    await c.publishAsync(topicFor("state", "dev-hook"), encode.state(stateMsg("dev-hook", t0)), { qos: 1, retain: true });
    await c.publishAsync(topicFor("diagnosis", "dev-hook"), encode.diagnosis(diagnosisMsg("dev-hook", t0, { fault: "cloud_outage" })), { qos: 1 });

    // drive the fleet's clock in small steps; real time passes only for the loopback HTTP round trips
    const advanceTo = async (ms: number) => {
      while (scheduler.now() - t0 < ms) {
        await scheduler.advance(250);
        await sleep(5);
      }
    };
    await advanceTo(500);
    expect(hooks.arrivals.map((a) => a.path).sort()).toEqual(["/fail", "/hang"]);

    // the hanging webhook holds its first attempt open: the fleet keeps taking reports meanwhile, each acked
    const reports = 100;
    for (let i = 0; i < reports; i++) await c.publishAsync(topicFor("telemetry", "dev-hook"), encode.telemetry(telemetryMsg("dev-hook", t0, i)), { qos: 1 });
    await c.publishAsync(topicFor("diagnosis", "dev-hook"), encode.diagnosis(diagnosisMsg("dev-hook", t0, { fault: "cloud_outage" })), { qos: 1 });
    expect(await h.fleet.store.history("dev-hook", 0, 1000)).toHaveLength(reports);
    expect(await h.fleet.store.diagnoses("dev-hook", 10)).toHaveLength(2);

    await advanceTo(40_000);
    const at = (path: string) => hooks!.arrivals.filter((a) => a.path === path).map((a) => a.at - t0);
    // 500s: retried after 1, 2, 4 s. Hanging: each attempt is cut at timeout_ms (5 s), then the same backoff.
    const fail = at("/fail");
    const hang = at("/hang");
    expect(fail).toHaveLength(4);
    expect(hang).toHaveLength(4);
    const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
    const near = (xs: number[], want: number[]) => xs.forEach((x, i) => expect(Math.abs(x - want[i]!)).toBeLessThanOrEqual(250));
    near(gaps(fail), [1000, 2000, 4000]);
    near(gaps(hang), [6000, 7000, 9000]);

    const dead = await h.fleet.store.listDeadLetters();
    expect(dead.map((d) => [d.target, d.attempts]).sort()).toEqual([["failing", 4], ["hanging", 4]]);
    expect(dead.find((d) => d.target === "failing")!.error).toBe("HTTP 500");
    expect(dead.find((d) => d.target === "hanging")!.error).toMatch(/abort/i);
    expect(h.fleet.notifier.deliveries.filter((d) => d.result === "dead_letter")).toHaveLength(2);
    // nothing more is tried once a notification is dead-lettered
    await advanceTo(120_000);
    expect(hooks.arrivals).toHaveLength(8);
    figure(ctx, `2 targets × 4 attempts (backoff 1/2/4 s, 5 s timeout) → 2 dead letters; ${reports} reports + 1 diagnosis stored while a webhook hung`);
  }, 60_000);
});
