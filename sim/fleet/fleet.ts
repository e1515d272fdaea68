import { encodeMessage, topicFor, type FaultClass } from "../../shared/index.ts";
import { LiteMqttClient, type LiteConnectResult } from "./client.ts";
import { diagnosisMessage, stateMessage, telemetryMessage } from "./messages.ts";
import { seededRandom, type SimIdentity } from "./provision.ts";

/** How the virtual fleet behaves. Every duration is in milliseconds. */
export interface SimFleetOptions {
  host: string;
  port: number;
  devices: readonly SimIdentity[];
  /** Telemetry cadence of every device (the agent's default is 60 s), random phase; 0 = no telemetry. */
  telemetryIntervalMs?: number;
  keepaliveS?: number;
  /** Connects are spread uniformly over this window, as devices powering up after an outage would. */
  connectSpreadMs?: number;
  /** At most this many CONNECTs awaiting their CONNACK at once. */
  connectConcurrency?: number;
  /** Devices whose connection drops reconnect after a jittered delay up to this bound. */
  reconnectMaxMs?: number;
  /** false: no authentication (anonymous brokers such as a bare Mosquitto). */
  authenticate?: boolean;
  seed?: number;
  /** Called for every command a device receives. */
  onCommand?: (deviceId: string, payload: Buffer) => void;
  now?: () => number;
}

interface VDevice {
  identity: SimIdentity;
  client: LiteMqttClient | null;
  seq: number;
  nextTelemetryAt: number;
  nextPingAt: number;
  connectAt: number;
  connecting: boolean;
  /** What this device's diagnosis finds now (set by report), used to answer `diagnose` commands. */
  fault: FaultClass;
}

/** Counters a benchmark reads. */
export interface SimFleetStats {
  online: number;
  connects: number;
  connectFailures: number;
  published: number;
  acked: number;
  unacked: number;
  commands: number;
  firstAllOnlineMs: number | null;
}

const TICK_MS = 50;

/**
 * N virtual devices over real MQTT: each its own identity, a retained online state with a Last Will,
 * telemetry at a cadence with a random phase, and faults injected on demand over a chosen share.
 * One timer drives every device (connect schedule, cadence, keepalive), so 10,000 cost one process.
 */
export class SimFleet {
  #o: Required<Omit<SimFleetOptions, "onCommand" | "now">> & Pick<SimFleetOptions, "onCommand">;
  #now: () => number;
  #rand: () => number;
  #devices: VDevice[] = [];
  #timer: NodeJS.Timeout | null = null;
  #inFlightConnects = 0;
  #startedAt = 0;
  #stopping = false;
  readonly stats: SimFleetStats = { online: 0, connects: 0, connectFailures: 0, published: 0, acked: 0, unacked: 0, commands: 0, firstAllOnlineMs: null };

  constructor(o: SimFleetOptions) {
    this.#o = {
      telemetryIntervalMs: 60_000,
      keepaliveS: 60,
      connectSpreadMs: 0,
      connectConcurrency: 200,
      reconnectMaxMs: 5000,
      authenticate: true,
      seed: 1,
      ...o,
    };
    this.#now = o.now ?? Date.now;
    this.#rand = seededRandom(this.#o.seed);
  }

  get size(): number {
    return this.#o.devices.length;
  }

  /** Schedules every device's connect within the spread window and starts the shared timer. */
  start(): void {
    this.#stopping = false;
    this.#startedAt = this.#now();
    this.#devices = this.#o.devices.map((identity) => ({
      identity,
      client: null,
      seq: 0,
      connectAt: this.#startedAt + this.#rand() * this.#o.connectSpreadMs,
      nextTelemetryAt: Infinity,
      nextPingAt: Infinity,
      connecting: false,
      fault: "none",
    }));
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#tick();
  }

  #tick(): void {
    const now = this.#now();
    const o = this.#o;
    for (const d of this.#devices) {
      if (!d.client && !d.connecting && now >= d.connectAt && this.#inFlightConnects < o.connectConcurrency) void this.#connect(d);
      const c = d.client;
      if (!c?.connected) continue;
      if (now >= d.nextTelemetryAt) {
        d.nextTelemetryAt = now + o.telemetryIntervalMs;
        void this.#send(d, "telemetry", encodeMessage("telemetry", telemetryMessage(d.identity, d.seq++, now, this.#rand)));
      }
      if (now >= d.nextPingAt) {
        d.nextPingAt = now + (o.keepaliveS * 1000) / 2;
        c.ping();
      }
    }
  }

  async #connect(d: VDevice): Promise<void> {
    const o = this.#o;
    d.connecting = true;
    this.#inFlightConnects++;
    const id = d.identity.id;
    // as the agent: the online state names this connection's will (StateMessage.will_msg_id)
    const will = stateMessage(d.identity, "offline", this.#now(), o.keepaliveS);
    const client = new LiteMqttClient({
      host: o.host,
      port: o.port,
      clientId: id,
      ...(o.authenticate ? { username: id, password: d.identity.secret } : {}),
      keepaliveS: o.keepaliveS,
      clean: false,
      will: { topic: topicFor("state", id), payload: encodeMessage("state", will), qos: 1, retain: true },
    });
    let r: LiteConnectResult;
    try {
      r = await client.connect();
    } finally {
      this.#inFlightConnects--;
      d.connecting = false;
    }
    if (this.#stopping) {
      client.destroy();
      return;
    }
    if (r.result !== "ok") {
      this.stats.connectFailures++;
      d.connectAt = this.#now() + 500 + this.#rand() * o.reconnectMaxMs;
      return;
    }
    d.client = client;
    this.stats.connects++;
    this.stats.online++;
    if (this.stats.online === this.#devices.length && this.stats.firstAllOnlineMs === null) this.stats.firstAllOnlineMs = this.#now() - this.#startedAt;
    client.onMessage = (_topic, payload) => {
      this.stats.commands++;
      o.onCommand?.(id, payload);
      this.#answer(d, payload);
    };
    client.onClose = () => {
      this.stats.online--;
      d.client = null;
      d.nextTelemetryAt = Infinity;
      d.nextPingAt = Infinity;
      d.connectAt = this.#now() + 500 + this.#rand() * o.reconnectMaxMs;
    };
    const now = this.#now();
    d.nextPingAt = now + (o.keepaliveS * 1000) / 2;
    if (o.telemetryIntervalMs > 0) d.nextTelemetryAt = now + this.#rand() * o.telemetryIntervalMs;
    await client.subscribe(topicFor("command", id));
    await this.#send(d, "state", encodeMessage("state", { ...stateMessage(d.identity, "online", now, o.keepaliveS), will_msg_id: will.msg_id }), true);
  }

  /** A `diagnose` command gets a diagnosis of the device's current fault, as the agent would send. */
  #answer(d: VDevice, payload: Buffer): void {
    let cmd: { name?: unknown; id?: unknown };
    try {
      cmd = JSON.parse(payload.toString()) as { name?: unknown; id?: unknown };
    } catch {
      return;
    }
    if (cmd.name !== "diagnose" || typeof cmd.id !== "string") return;
    const msg = { ...diagnosisMessage(d.identity, d.fault, this.#now()), trigger: "command" as const, command_id: cmd.id };
    void this.#send(d, "diagnosis", encodeMessage("diagnosis", msg));
  }

  async #send(d: VDevice, kind: "state" | "telemetry" | "diagnosis", payload: Buffer, retain = false): Promise<boolean> {
    const c = d.client;
    if (!c) return false;
    this.stats.published++;
    const ok = await c.publish(topicFor(kind, d.identity.id), payload, 1, retain);
    if (ok) this.stats.acked++;
    else this.stats.unacked++;
    return ok;
  }

  /** Ids of the devices a fault of `share` (0..1) hits: the same seed picks the same devices. */
  pick(share: number): SimIdentity[] {
    const n = Math.round(Math.max(0, Math.min(1, share)) * this.#devices.length);
    const order = seededRandom(this.#o.seed ^ 0x9e3779b9);
    return this.#devices
      .map((d) => ({ d, k: order() }))
      .sort((a, b) => a.k - b.k)
      .slice(0, n)
      .map((x) => x.d.identity);
  }

  /**
   * Each chosen device reports a diagnosis with `fault` at a random moment within `withinMs`; resolves
   * with how many the broker acknowledged. `fault: "none"` is the recovery report.
   */
  async report(devices: readonly SimIdentity[], fault: FaultClass, withinMs: number): Promise<{ sent: number; acked: number }> {
    const byId = new Map(this.#devices.map((d) => [d.identity.id, d]));
    let acked = 0;
    await Promise.all(
      devices.map(async (identity) => {
        await new Promise((r) => setTimeout(r, this.#rand() * withinMs));
        const d = byId.get(identity.id);
        if (d) d.fault = fault;
        if (d && (await this.#send(d, "diagnosis", encodeMessage("diagnosis", diagnosisMessage(identity, fault, this.#now())))))
          acked++;
      }),
    );
    return { sent: devices.length, acked };
  }

  /** Crashes `share` of the connected devices (no DISCONNECT): their Last Wills fire, and they reconnect later. */
  crash(share: number): number {
    let n = 0;
    for (const identity of this.pick(share)) {
      const d = this.#devices.find((x) => x.identity.id === identity.id);
      if (d?.client) {
        d.client.destroy();
        n++;
      }
    }
    return n;
  }

  /** Disconnects every device cleanly and stops the timer. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const d of this.#devices) {
      if (d.client) {
        d.client.onClose = null;
        d.client.disconnect();
      }
      d.client = null;
    }
    this.stats.online = 0;
    // let the DISCONNECT packets leave before the caller tears the broker down
    await new Promise((r) => setTimeout(r, 20));
  }
}
