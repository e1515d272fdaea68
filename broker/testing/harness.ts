import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { fleetConfig } from "../config/load.ts";
import type { FleetConfigInput } from "../config/schema.ts";
import { FleetServer } from "../fleet.ts";
import { generateSecret, hashSecret } from "../auth/secrets.ts";
import type { Scheduler } from "../tickets/scheduler.ts";

/** A scheduler whose time moves only when the test says so. */
export class ManualScheduler implements Scheduler {
  t: number;
  #timers: { at: number; every: number | null; fn: () => void; id: number }[] = [];
  #id = 0;

  constructor(start = Date.UTC(2026, 0, 5, 10, 0, 0)) {
    this.t = start;
  }

  now = (): number => this.t;

  every(ms: number, fn: () => void): () => void {
    const id = ++this.#id;
    this.#timers.push({ at: this.t + ms, every: ms, fn, id });
    return () => (this.#timers = this.#timers.filter((x) => x.id !== id));
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.#id;
    this.#timers.push({ at: this.t + ms, every: null, fn, id });
    return () => (this.#timers = this.#timers.filter((x) => x.id !== id));
  }

  /** Moves time forward, firing every due timer in order; awaits the microtasks they start. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle(); // timers are often registered by promise chains still running
      const due = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.every) due.at += due.every;
      else this.#timers = this.#timers.filter((x) => x.id !== due.id);
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  pending(): number {
    return this.#timers.length;
  }
}

/** Lets promise chains started by timers run to completion. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export interface Harness {
  fleet: FleetServer;
  dir: string;
  scheduler: ManualScheduler;
  mqttUrl: string;
  addDevice(id: string): Promise<string>;
  close(): Promise<void>;
}

/** A fleet on loopback with every port 0, a temp SQLite file and a manual scheduler. */
export async function startFleet(input: FleetConfigInput = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "fleet-test-"));
  const scheduler = new ManualScheduler();
  const config = fleetConfig({
    ...input,
    mqtt: { host: "127.0.0.1", port: 0, ...input.mqtt },
    http: { host: "127.0.0.1", port: 0 },
    store: { driver: "sqlite", path: join(dir, "fleet.db") },
    log: { level: "silent" },
  });
  const fleet = new FleetServer({ config, log: pino({ level: "silent" }), now: scheduler.now, scheduler });
  await fleet.start();
  return {
    fleet,
    dir,
    scheduler,
    mqttUrl: `mqtt://127.0.0.1:${fleet.broker.ports.tcp}`,
    async addDevice(id) {
      const secret = generateSecret();
      await fleet.store.addCredential({ id, secretHash: await hashSecret(secret), status: "active", createdAt: scheduler.now(), labels: {} });
      return secret;
    },
    async close() {
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
