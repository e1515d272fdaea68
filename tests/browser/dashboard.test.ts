import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { tokenStoreFor } from "../../broker/http/auth/tokens.ts";
import type { DeviceRecord } from "../../broker/store/types.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { AgentProcess } from "./agent-process.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "test-results/browser";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A device has reported everything the device page shows: audio, network and AI figures, and a verdict. */
const reported = (d: DeviceRecord | null) => !!d?.online && !!d.telemetry?.ai?.text && !!d.telemetry.samples.audio && !!d.telemetry.samples.network && d.fault !== null;

/** Records every text #run-status shows, so a progress step that is replaced quickly is still seen. */
async function recordRunStatus(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const el = document.querySelector("#run-status")!;
    const seen: string[] = [];
    (window as unknown as { runLog: string[] }).runLog = seen;
    // one entry per replacement of the status, read from the mutation itself: events the page replays in
    // one task (a fast device's steps that arrived before the POST's reply) each show, not just the last
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.target !== el || r.type !== "childList") continue;
        if (!r.addedNodes.length) continue;
        const added = [...r.addedNodes];
        const text = added.map((n) => n.textContent ?? "").join("");
        seen.push(`${text}${added.some((n) => n.nodeName === "PROGRESS" || (n as Element).querySelector?.("progress")) ? " [progress]" : ""}`);
      }
    }).observe(el, { childList: true });
  });
  return () => page.evaluate(() => (window as unknown as { runLog: string[] }).runLog);
}

describe("dashboard in real headless Chromium, with real agent processes", () => {
  let fleet: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let cloud: CloudSim | undefined;
  let launching: Promise<Browser> | undefined;
  const agents: AgentProcess[] = [];
  afterEach(async () => {
    await (await launching?.catch(() => undefined))?.close();
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await cloud?.stop();
    await fleet?.stop();
    launching = cloud = fleet = undefined;
  });

  it("signs in, finds the faulty device, runs diagnostics live, sees the verdict, collects a bundle and sees the ticket", async () => {
    fleet = await startTestFleet();
    const f = fleet.fleet;
    cloud = new CloudSim();
    const sim = await cloud.start({ port: 0 });
    const { secret: token } = await tokenStoreFor(f.store).create({ name: "tech-ana", role: "technician" });

    // two real agents: one hears the room, one's microphone path delivers digital silence
    const secrets: Record<string, string> = {};
    for (const [id, tap, system] of [["speaker-ok", "healthy", "off"], ["speaker-mic", "silent", "on"]] as const) {
      const { secret } = await fleet.provision(id);
      secrets[id] = secret;
      const a = new AgentProcess({ id, secret, mqttUrl: fleet.mqttUrl, cloud: sim, tap, system });
      agents.push(a);
      a.start();
    }
    // Chromium starts while the agents do; afterEach closes it even when a wait below fails first
    launching = chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    launching.catch(() => undefined);
    try {
      for (const a of agents) await waitFor(async () => reported(await f.store.getDevice(a.id)), 30_000, `${a.id}'s first report with AI figures`);
      await waitFor(async () => (await f.store.listTickets({ deviceId: "speaker-mic" })).length > 0, 10_000, "the faulty device's ticket");
    } catch (err) {
      const agentsSaid = agents.map((a) => `${a.id}${a.running ? "" : " (exited)"}: ${a.stderr.trim() || "nothing on stderr"}`).join("\n");
      throw new Error(`${(err as Error).message}\n${agentsSaid}`, { cause: err });
    }
    const browser = await launching;
    // the agents' own start-up diagnoses: the silent tap is a capture fault, the other speaker is well
    expect((await f.store.getDevice("speaker-mic"))!.fault).toBe("voice_capture");
    expect((await f.store.getDevice("speaker-ok"))!.fault).toBe("none");

    // this run's artifacts only: a stale screenshot from an older run must not pass for this one
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(fleet.httpUrl);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#live").textContent(), { timeout: 10_000 }).toBe("live");
    await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
    await page.locator(".tile", { hasText: "online" }).first().waitFor();
    expect(await page.locator(".bars").textContent()).toContain("Voice capture fault");
    await page.screenshot({ path: `${ARTIFACTS}/1-overview.png`, fullPage: true });

    // find the faulty device from the device list, by its health
    await page.getByRole("link", { name: "Devices" }).click();
    await page.locator('a[data-device="speaker-ok"]').waitFor();
    await page.getByLabel("Fault").selectOption("voice_capture");
    await page.locator('a[data-device="speaker-ok"]').waitFor({ state: "detached" });
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("tbody tr .health").textContent()).toBe("Voice capture fault on the device");
    await page.screenshot({ path: `${ARTIFACTS}/2-devices.png`, fullPage: true });
    await page.locator('a[data-device="speaker-mic"]').click();
    await page.locator("#device-health", { hasText: "Voice capture fault" }).waitFor();
    await page.locator(".chart .uplot").waitFor();

    // the figures are the agent's own measurements: a silent capture, a working network, AI latency in ms
    const card = (title: string) => page.locator(".card", { has: page.getByRole("heading", { name: title, exact: true }) });
    expect(await card("Audio").textContent()).toContain("silent");
    expect(await card("Network").textContent()).toMatch(/Verdict\s*ok/);
    expect(await card("Conversational AI").textContent()).toMatch(/Text answer\s*[\d.,]+ ms/);
    expect(await card("Conversational AI").textContent()).toMatch(/Voice answer\s*[\d.,]+ ms/);
    // the cloud's share of the voice answer, after the request was written: the figure a vendor commits to
    expect(await card("Conversational AI").textContent()).toMatch(/Cloud response\s*[\d.,]+ ms/);
    await page.screenshot({ path: `${ARTIFACTS}/3-device-faulty.png`, fullPage: true });

    // run diagnostics with the keyboard, as a technician on a tablet would with a keyboard case
    const runLog = await recordRunStatus(page);
    await page.locator("#run-diagnostics").focus();
    await page.keyboard.press("Enter");
    const verdict = page.locator("#run-verdict");
    await verdict.waitFor({ timeout: 20_000 });
    expect(await verdict.locator("[data-fault]").getAttribute("data-fault")).toBe("voice_capture");
    expect(await verdict.textContent()).toContain("text and the canned utterance work but the live capture is silent");
    const capture = verdict.locator("tr", { hasText: "capture" });
    expect(await capture.locator(".st").textContent()).toBe("fail");
    expect(await capture.textContent()).toContain("digital silence");
    // live progress: the device's first step, with a progress bar, before the verdict replaced it, even
    // when the step reached the page before the POST's reply named the command
    const shown = await runLog();
    const step = shown.indexOf("diagnosis: all checks [progress]");
    expect(step, `the device's first step before the verdict in ${JSON.stringify(shown.map((s) => s.slice(0, 80)))}`).toBeGreaterThanOrEqual(0);
    expect(step).toBeLessThan(shown.findIndex((s) => s.startsWith("Verdict")));
    // the agent publishes the diagnosis before its command response: the record turns ok a moment later
    await expect.poll(async () => (await f.commands.list({ deviceId: "speaker-mic" }))[0], { timeout: 10_000 }).toMatchObject({ name: "diagnose", issuer: "api:tech-ana", status: "ok" });
    await page.screenshot({ path: `${ARTIFACTS}/4-device-verdict.png`, fullPage: true });

    // the support bundle: collected from the device over MQTT, downloaded by the browser, secrets masked
    await page.locator("#collect-bundle").click();
    const download = page.locator("#download-bundle");
    await download.waitFor({ timeout: 20_000 });
    const [file] = await Promise.all([page.waitForEvent("download"), download.click()]);
    const path = `${ARTIFACTS}/bundle-speaker-mic.json`;
    await file.saveAs(path);
    const text = readFileSync(path, "utf8");
    const bundle = JSON.parse(text) as { device_id: string; config: { device: { id: string } }; diagnoses: { verdict: { fault: string } }[] };
    expect(bundle.device_id).toBe("speaker-mic");
    expect(bundle.config.device.id).toBe("speaker-mic");
    expect(bundle.diagnoses.map((d) => d.verdict.fault)).toContain("voice_capture");
    expect(text).not.toContain(secrets["speaker-mic"]!);
    expect(text).not.toContain("browser-test-key");
    await page.screenshot({ path: `${ARTIFACTS}/5-device-bundle.png`, fullPage: true });

    // the ticket, from the device page, with its evidence and SLA
    await page.locator('a[href^="#/tickets/"]').first().click();
    await page.getByRole("heading", { name: /Voice capture fault/ }).first().waitFor();
    expect(await page.locator("#ticket-status").textContent()).toMatch(/open|acknowledged/);
    expect(await page.locator(".ticket").textContent()).toContain("speaker-mic");
    expect(await page.locator(".ticket .verdict").first().textContent()).toContain("silent");
    await page.locator("#acknowledge").click();
    await page.locator("#ticket-status", { hasText: "acknowledged" }).waitFor();
    expect((await f.store.listTickets({ deviceId: "speaker-mic" }))[0]!.status).toBe("acknowledged");
    await page.screenshot({ path: `${ARTIFACTS}/6-ticket.png`, fullPage: true });

    // the healthy speaker for contrast: a real capture level and no fault
    await page.goto(`${fleet.httpUrl}/#/devices/speaker-ok`);
    await page.locator("#device-health").waitFor();
    expect(await page.locator("#device-health").textContent()).toBe("Healthy");
    expect(await card("Audio").textContent()).toMatch(/Level\s*-\d+(\.\d)? dBFS/);
    await page.screenshot({ path: `${ARTIFACTS}/7-device-healthy.png`, fullPage: true });

    // tablet portrait: the same overview, usable without horizontal page scroll
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(`${fleet.httpUrl}/#/`);
    await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/8-overview-tablet.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
