import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { FAULT_CLASSES, responseLatencyMs, SEVERITIES, type ProbeRun, type TelemetryMessage } from "../../shared/index.ts";
import type { FleetEvents } from "../events.ts";
import { slaClocks } from "../reports/ticket-sla.ts";
import type { FleetStore } from "../store/types.ts";

export interface MetricsOptions {
  store: FleetStore;
  events: FleetEvents;
  /** Refusal counts by reason (broker/mqtt/refusals.ts). */
  refusals?: { snapshot(): Record<string, number> } | undefined;
  now?: () => number;
}

// seconds; spans a LAN round trip to a stalled cloud, with resolution around the 600 ms voice-to-voice target
const LATENCY_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10, 30];

/**
 * The fleet's Prometheus metrics in their own registry (no global default registry: two fleets in
 * one process, as in tests, do not collide). Labels are bounded sets (fault class, severity, probe,
 * reason), never a device id: a fleet of thousands would explode the series count.
 * Fleet-wide figures are read from the store at scrape time; rates come from counters fed by events.
 */
export class FleetMetrics {
  readonly registry = new Registry();
  #o: MetricsOptions;
  #lastAi = new Map<string, number>();
  #received: Counter<"kind">;
  #probeRuns: Counter<"probe" | "result">;
  #probeTotal: Histogram<"probe">;
  #probeFirst: Histogram<"probe">;
  #listeners: (() => void)[] = [];

  constructor(o: MetricsOptions) {
    this.#o = o;
    const registers = [this.registry];
    const store = o.store;
    const now = o.now ?? Date.now;
    new Gauge({
      name: "edge_fleet_devices",
      help: "Known devices by connection state.",
      labelNames: ["state"],
      registers,
      async collect() {
        const devices = await store.listDevices({ limit: 1_000_000 });
        const online = devices.filter((d) => d.online).length;
        this.set({ state: "online" }, online);
        this.set({ state: "offline" }, devices.length - online);
      },
    });
    new Gauge({
      name: "edge_fleet_devices_by_fault",
      help: "Devices by the fault class of their latest diagnosis (undiagnosed: none received yet).",
      labelNames: ["fault"],
      registers,
      async collect() {
        const counts = new Map<string, number>([...FAULT_CLASSES, "undiagnosed"].map((f) => [f, 0]));
        for (const d of await store.listDevices({ limit: 1_000_000 })) counts.set(d.fault ?? "undiagnosed", (counts.get(d.fault ?? "undiagnosed") ?? 0) + 1);
        for (const [fault, n] of counts) this.set({ fault }, n);
      },
    });
    const activeTickets = async () => [...(await store.listTickets({ status: "open", limit: 1_000_000 })), ...(await store.listTickets({ status: "acknowledged", limit: 1_000_000 }))];
    new Gauge({
      name: "edge_fleet_open_tickets",
      help: "Tickets not yet resolved, by severity and status (open or acknowledged).",
      labelNames: ["severity", "status"],
      registers,
      async collect() {
        this.reset();
        for (const s of SEVERITIES) for (const status of ["open", "acknowledged"]) this.set({ severity: s, status }, 0);
        for (const t of await activeTickets()) this.inc({ severity: t.severity, status: t.status });
      },
    });
    new Gauge({
      name: "edge_fleet_sla_breached_tickets",
      help: "Unresolved tickets whose respond or resolve deadline has passed, by severity and clock.",
      labelNames: ["severity", "clock"],
      registers,
      async collect() {
        for (const s of SEVERITIES) for (const clock of ["respond", "resolve"]) this.set({ severity: s, clock }, 0);
        const t0 = now();
        for (const t of await activeTickets()) {
          const c = slaClocks(t, t0);
          if (c.respondBreached) this.inc({ severity: t.severity, clock: "respond" });
          if (c.resolveBreached) this.inc({ severity: t.severity, clock: "resolve" });
        }
      },
    });
    const refusals = o.refusals;
    new Counter({
      name: "edge_fleet_refusals_total",
      help: "Connections and messages the broker refused, by reason.",
      labelNames: ["reason"],
      registers,
      collect() {
        // the broker keeps the counts; mirror them into the counter at scrape time
        this.reset();
        for (const [reason, n] of Object.entries(refusals?.snapshot() ?? {})) this.inc({ reason }, n);
      },
    });
    this.#received = new Counter({ name: "edge_fleet_messages_received_total", help: "Device messages accepted by ingest, by kind (rate() gives the ingest rate).", labelNames: ["kind"], registers });
    for (const kind of ["state", "telemetry", "diagnosis", "response"]) this.#received.inc({ kind }, 0);
    this.#probeRuns = new Counter({ name: "edge_fleet_ai_probe_runs_total", help: "Conversational-AI probe runs reported by devices, by probe and result.", labelNames: ["probe", "result"], registers });
    this.#probeTotal = new Histogram({ name: "edge_fleet_ai_probe_duration_seconds", help: "Conversational-AI probe total latency as devices measured it (successful runs).", labelNames: ["probe"], buckets: LATENCY_BUCKETS, registers });
    this.#probeFirst = new Histogram({ name: "edge_fleet_ai_probe_first_response_seconds", help: "The cloud's response latency: the first audio (voice) or text of the answer after the request was sent, from the probe's start where an older agent does not report the request's end (successful runs).", labelNames: ["probe"], buckets: LATENCY_BUCKETS, registers });
  }

  #observe(run: ProbeRun | null | undefined): void {
    if (!run || run.probe === "status_page") return;
    this.#probeRuns.inc({ probe: run.probe, result: run.result });
    if (run.result !== "ok") return;
    if (run.total_ms !== null) this.#probeTotal.observe({ probe: run.probe }, run.total_ms / 1000);
    const first = responseLatencyMs(run);
    if (first !== null) this.#probeFirst.observe({ probe: run.probe }, first / 1000);
  }

  #onTelemetry(t: TelemetryMessage): void {
    this.#received.inc({ kind: "telemetry" });
    // telemetry carries the latest summary until new probes run: observe each summary once per device
    if (!t.ai || this.#lastAi.get(t.device_id) === t.ai.at) return;
    this.#lastAi.set(t.device_id, t.ai.at);
    this.#observe(t.ai.text);
    this.#observe(t.ai.voice);
  }

  start(): void {
    const on = <K extends "state" | "telemetry" | "diagnosis" | "response">(kind: K, fn: (...a: never[]) => void) => {
      this.#o.events.on(kind, fn as never);
      this.#listeners.push(() => this.#o.events.off(kind, fn as never));
    };
    on("state", () => this.#received.inc({ kind: "state" }));
    on("diagnosis", () => this.#received.inc({ kind: "diagnosis" }));
    on("response", () => this.#received.inc({ kind: "response" }));
    on("telemetry", (t: TelemetryMessage) => this.#onTelemetry(t));
  }

  stop(): void {
    for (const off of this.#listeners.splice(0)) off();
  }

  /** The exposition text for a scrape. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
