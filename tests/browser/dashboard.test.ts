import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { chromium, type Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { CommandService, MemoryCommandStore } from "../../broker/commands/index.ts";
import { buildApp } from "../../broker/http/app.ts";
import { tokenStoreFor } from "../../broker/http/auth/tokens.ts";
import { httpUnits } from "../../broker/http/units.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { SimDevice } from "./device-sim.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "test-results/browser";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe("dashboard in real headless Chromium", () => {
  let fleet: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let browser: Browser | undefined;
  let app: FastifyInstance | undefined;
  let commands: CommandService | undefined;
  const devices: SimDevice[] = [];
  afterEach(async () => {
    await browser?.close();
    for (const d of devices.splice(0)) await d.close();
    await app?.close();
    await commands?.stop();
    await fleet?.stop();
    browser = app = commands = fleet = undefined;
  });

  it("signs in, finds the faulty device, runs diagnostics live, sees the verdict and the ticket", async () => {
    fleet = await startTestFleet();
    const f = fleet.fleet;
    // the fleet's HTTP app plus a command service (fleet.ts wires its own when it has one: then this is the same composition)
    const log = pino({ level: process.env.TEST_LOG ?? "silent" });
    commands = new CommandService({ publish: (t, p, q) => f.mqtt.publish(t, p, q), events: f.events, store: new MemoryCommandStore(), log });
    await commands.start();
    app = await buildApp({ store: f.store, events: f.events, log, ready: () => true, ...httpUnits({ tickets: f.tickets, commands, refusals: f.refusals }) });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { secret: token } = await tokenStoreFor(f.store).create({ name: "tech-ana", role: "technician" });

    const now = Date.now();
    for (const [id, fault] of [["speaker-ok", "none"], ["speaker-mic", "voice_capture"]] as const) {
      const { secret } = await fleet.provision(id);
      const d = new SimDevice(id, fault);
      devices.push(d);
      await d.connect(fleet.mqttUrl, secret);
      await d.report(now);
    }
    await waitFor(async () => (await f.store.listTickets({ deviceId: "speaker-mic" })).length > 0, 10_000, "the faulty device's ticket");

    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(base);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#live").textContent(), { timeout: 10_000 }).toBe("live");
    await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
    await page.locator(".tile", { hasText: "online" }).first().waitFor();
    expect(await page.locator(".bars").textContent()).toContain("Voice capture fault");
    await page.screenshot({ path: `${ARTIFACTS}/1-overview.png`, fullPage: true });

    // find the faulty device from the device list, by its health
    await page.getByRole("link", { name: "Devices" }).click();
    await page.getByLabel("Fault").selectOption("voice_capture");
    await page.locator('a[data-device="speaker-ok"]').waitFor({ state: "detached" });
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("tbody tr .health").textContent()).toBe("Voice capture fault on the device");
    await page.screenshot({ path: `${ARTIFACTS}/2-devices.png`, fullPage: true });
    await page.locator('a[data-device="speaker-mic"]').click();
    await page.locator("#device-health", { hasText: "Voice capture fault" }).waitFor();
    await page.locator(".chart .uplot").waitFor();

    // run diagnostics with the keyboard, as a technician on a tablet would with a keyboard case
    await page.locator("#run-diagnostics").focus();
    await page.keyboard.press("Enter");
    const verdict = page.locator("#run-verdict");
    await verdict.waitFor({ timeout: 15_000 });
    expect(await verdict.textContent()).toContain("Voice capture fault on the device");
    expect(await verdict.locator("[data-fault]").getAttribute("data-fault")).toBe("voice_capture");
    const sentToDevice = (await commands.list({ deviceId: "speaker-mic" }))[0]!;
    expect(sentToDevice).toMatchObject({ name: "diagnose", issuer: "api:tech-ana", status: "ok" });
    await page.screenshot({ path: `${ARTIFACTS}/3-device-verdict.png`, fullPage: true });

    // the ticket, from the device page, with its evidence and SLA
    await page.locator('a[href^="#/tickets/"]').first().click();
    await page.getByRole("heading", { name: /Voice capture fault/ }).first().waitFor();
    expect(await page.locator("#ticket-status").textContent()).toMatch(/open|acknowledged/);
    expect(await page.locator(".ticket").textContent()).toContain("speaker-mic");
    expect(await page.locator(".ticket .verdict").first().textContent()).toContain("audio");
    await page.locator("#acknowledge").click();
    await page.locator("#ticket-status", { hasText: "acknowledged" }).waitFor();
    expect((await f.store.listTickets({ deviceId: "speaker-mic" }))[0]!.status).toBe("acknowledged");
    await page.screenshot({ path: `${ARTIFACTS}/4-ticket.png`, fullPage: true });

    // tablet portrait: the same overview, usable without horizontal page scroll
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(`${base}/#/`);
    await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/5-overview-tablet.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
