import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { tokenStoreFor } from "../../broker/http/auth/tokens.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";

type Fleet = Awaited<ReturnType<typeof startTestFleet>>;

// read endpoints need at least a viewer token (secure by default): each test makes one in its fleet's token store
let token = "";
async function getJson(url: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return res.json() as Promise<Record<string, unknown>>;
}

async function viewerToken(fleet: Fleet): Promise<string> {
  return (await tokenStoreFor(fleet.fleet.store).create({ name: "e2e", role: "viewer" })).secret;
}

function startAgentProcess(fleet: Fleet, id: string, secret: string, fault = "none"): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["tests/fixtures/agent-child.ts", fleet.mqttUrl, id, secret, fault, "5"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => (d.toString().includes("ready") ? resolve(child) : reject(new Error(`agent did not connect: ${d}`))));
    child.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
  });
}

describe("walking skeleton: device → fleet broker → ticket, over real TCP", () => {
  let fleet: Fleet | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
    await fleet?.stop();
    fleet = undefined;
  });

  it("lists an agent online with telemetry, opens a ticket for a faulty diagnosis, and flips a killed agent offline", async () => {
    fleet = await startTestFleet();
    token = await viewerToken(fleet);
    const { id, secret } = await fleet.provision("speaker-001");
    const child = await startAgentProcess(fleet, id, secret, "cloud_outage");
    children.push(child);

    const device = await waitFor(async () => {
      const body = await getJson(`${fleet!.httpUrl}/api/devices/${id}`);
      const d = body.device as { online: boolean; telemetry: unknown; model: string } | undefined;
      return d?.online && d.telemetry ? d : undefined;
    }, 10_000, "device online with telemetry");
    expect(device.model).toBe("speaker-x");
    expect((device.telemetry as { samples: { system: { memory_total_mb: number } } }).samples.system.memory_total_mb).toBe(2048);

    const list = await getJson(`${fleet.httpUrl}/api/devices`);
    expect((list.devices as { id: string }[]).map((d) => d.id)).toContain(id);

    const tickets = await waitFor(async () => {
      const body = await getJson(`${fleet!.httpUrl}/api/tickets`);
      const t = body.tickets as { deviceId: string; fault: string }[];
      return t.length ? t : undefined;
    }, 10_000, "a ticket");
    expect(tickets[0]).toMatchObject({ deviceId: id, fault: "cloud_outage" });

    // kill -9: no DISCONNECT packet, so the broker publishes the Last Will
    child.kill("SIGKILL");
    await once(child, "exit");
    const offline = await waitFor(async () => {
      const body = await getJson(`${fleet!.httpUrl}/api/devices/${id}`);
      return (body.device as { online: boolean }).online === false ? body.device : undefined;
    }, 7_500, "device offline after kill -9 (1.5 × 5 s keepalive)");
    expect(offline).toBeTruthy();
  });

  it("refuses a device with a wrong secret and keeps serving the others", async () => {
    fleet = await startTestFleet();
    token = await viewerToken(fleet);
    const good = await fleet.provision("speaker-good");
    await fleet.provision("speaker-bad");
    const bad = spawn(process.execPath, ["tests/fixtures/agent-child.ts", fleet.mqttUrl, "speaker-bad", "wrong-secret-value", "none", "5"], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(bad);
    children.push(await startAgentProcess(fleet, good.id, good.secret));
    await waitFor(async () => ((await getJson(`${fleet!.httpUrl}/api/devices/${good.id}`)).device as { online: boolean })?.online, 10_000, "good device online");
    await waitFor(() => (fleet!.fleet.refusals.counts.get("auth_failed") ?? 0) > 0, 10_000, "auth refusal counted");
    const badDevice = await getJson(`${fleet.httpUrl}/api/devices/speaker-bad`);
    expect((badDevice.device as { online: boolean }).online).toBe(false);
  });
});
