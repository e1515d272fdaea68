import { FAULTS, type DiagnosisMessage, type StateMessage } from "../../shared/index.ts";
import type { FleetConfig } from "../config/schema.ts";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import type { NotificationSink } from "../notify/types.ts";
import { SilenceService } from "../silences/service.ts";
import type { FleetStore, IncidentRecord, TicketRecord } from "../store/types.ts";
import { buildContent, redactedEvidence } from "./content.ts";
import { ACTIVE, LIVE, type EngineContext } from "./context.ts";
import { componentOf, fingerprintOf, inGroup, ticketLabels } from "./fingerprint.ts";
import { Incidents } from "./incidents.ts";
import { detectRegression } from "./regression.ts";
import type { Scheduler } from "./scheduler.ts";
import { severityFor } from "./severity.ts";

export { fingerprintOf } from "./fingerprint.ts";

export interface TicketEngineOptions {
  store: FleetStore;
  events: FleetEvents;
  log: Logger;
  config: FleetConfig["tickets"];
  scheduler: Scheduler;
  notify?: NotificationSink;
  silences?: SilenceService;
  /** Asks a recovered device for a verification diagnosis (a `diagnose` command). */
  requestVerification?: (deviceId: string) => void | Promise<void>;
}

/**
 * The ticket engine: device diagnoses in, tickets and incidents out (issue #6). Intake and the
 * periodic evaluation run one at a time (a promise chain), so two redeliveries racing through
 * the broker can never open two tickets. The people's actions live in actions.ts.
 */
export class TicketEngine {
  readonly silences: SilenceService;
  readonly ctx: EngineContext;
  readonly incidents: Incidents;
  #scheduler: Scheduler;
  #requestVerification: TicketEngineOptions["requestVerification"];
  /** Tickets asked for a verification, with the recovery (healthySince) each was asked for. */
  #verificationAsked = new Map<number, number>();
  /** The periodic pass's last cut-offs: each pass looks only at what became due since (issue #9). */
  #passed: { holdDown: number; resolved: number; silences: string } | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #cancel: (() => void) | null = null;

  constructor(o: TicketEngineOptions) {
    this.#scheduler = o.scheduler;
    this.silences = o.silences ?? new SilenceService(o.store, o.scheduler.now);
    this.ctx = { store: o.store, events: o.events, log: o.log, cfg: o.config, now: o.scheduler.now, notify: o.notify ?? { send: () => {} }, silences: this.silences };
    this.incidents = new Incidents(this.ctx);
    this.#requestVerification = o.requestVerification;
  }

  start(): void {
    this.#cancel ??= this.#scheduler.every(this.ctx.cfg.evaluate_interval_ms, () => void this.evaluate());
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  /** Runs `fn` after every earlier engine operation; an error is logged and rethrown to the caller. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch((err: Error) => this.ctx.log.error({ err }, "ticket engine operation failed"));
    return run;
  }

  /** A validated diagnosis from a device: opens, updates, recovers or reopens that device's tickets. */
  onDiagnosis(d: DiagnosisMessage, receivedAt: number): Promise<TicketRecord | null> {
    return this.serial(() => (d.verdict.fault === "none" ? this.#healthy(d, receivedAt) : this.#faulty(d, receivedAt)));
  }

  /** Device state: offline inhibits that device's cloud tickets; online lifts it. */
  onState(s: StateMessage): Promise<void> {
    return this.serial(() => this.#recheckDevice(s.device_id));
  }

  /** The periodic pass: pending → open, suppression, recovery, group wait, SLA clocks, closing. */
  evaluate(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.#evaluate();
      } catch (err) {
        // a pass cut short (the store lost mid-way) may have left tickets it opened unattached: the next pass
        // starts over, rechecking every live ticket's device, which attaches them
        this.#passed = null;
        throw err;
      }
    });
  }

  async #faulty(d: DiagnosisMessage, at: number): Promise<TicketRecord> {
    const { store, cfg, events } = this.ctx;
    const fingerprint = fingerprintOf(d);
    const device = await store.getDevice(d.device_id);
    const evidence = redactedEvidence(d);
    let t = await store.findOpenTicket(fingerprint, d.device_id);
    if (t) {
      // the diagnosis this ticket already counted, delivered again (the first delivery was cut off after
      // the ticket's write, before its mark finished, or a second replica got it meanwhile): counted once
      if (t.evidence.diagnosis_id !== d.diagnosis_id) t.occurrences += 1;
      t.lastSeen = at;
      t.updatedAt = at;
      t.evidence = evidence;
      t.labels = ticketLabels(d, device);
      if (t.healthySince !== null) {
        // it came back during the hold-down: still the same ticket, one more flap
        t.healthySince = null;
        t.verifiedAt = null;
        this.#transition(t, at);
      }
      t.content = buildContent(d, t);
      await store.updateTicket(t);
      events.emit("ticket", { action: "updated", ticket: t });
      await this.#recheckDevice(d.device_id);
      return t;
    }
    const latest = await store.findLatestTicket(fingerprint, d.device_id);
    if (latest?.status === "resolved" && latest.resolvedAt !== null && at - latest.resolvedAt <= cfg.reopen_window_ms) {
      // its labels as the device reports them now (a firmware upgrade since: grouped and silenced by what it runs)
      t = { ...latest, status: "open", reopenCount: latest.reopenCount + 1, resolvedAt: null, healthySince: null, verifiedAt: null, occurrences: latest.occurrences + 1, lastSeen: at, updatedAt: at, evidence, acknowledgedAt: null, labels: ticketLabels(d, device) };
      this.#transition(t, at);
      t.content = buildContent(d, t);
      await store.updateTicket(t);
      this.ctx.log.info({ ticket: t.id, device: t.deviceId }, "ticket reopened");
      // its resolved incident reopens (and pages again) only for a ticket that still belongs to its group and
      // notifies: one now silenced or inhibited leaves it resolved, and one whose labels moved it to another
      // group (a firmware upgrade, with group_by firmware) joins that group's incident instead
      const inc = t.incidentId !== null ? await store.getIncident(t.incidentId) : null;
      const sameGroup = inc !== null && inGroup(inc.groupLabels, t.labels);
      if (inc?.status === "resolved" && sameGroup && (await this.incidents.suppression(t, device)) === null) await this.incidents.reopen(inc, `${t.deviceId} reported ${t.fault} again`);
      else if (!inc || inc.status === "resolved" || inc.status === "closed" || !sameGroup) t.incidentId = null;
      await this.incidents.attach(t);
      events.emit("ticket", { action: "reopened", ticket: t });
      await this.#recheckDevice(d.device_id);
      return t;
    }
    const history = await store.diagnoses(d.device_id, 100);
    const base = {
      fingerprint,
      deviceId: d.device_id,
      fault: d.verdict.fault,
      family: d.verdict.error_code?.family ?? null,
      status: cfg.pending_ms > 0 ? ("pending" as const) : ("open" as const),
      severity: severityFor(d.verdict.fault, 1, await store.countDevices({ online: true }), cfg.severity, cfg.default_severity),
      title: `${FAULTS[d.verdict.fault].title} on ${d.device_id}`,
      openedAt: at,
      updatedAt: at,
      firstSeen: at,
      lastSeen: at,
      occurrences: 1,
      evidence,
      incidentId: null,
      resolvedAt: null,
      closedAt: null,
      component: componentOf(d),
      suppressedBy: null,
      healthySince: null,
      verifiedAt: null,
      reopenCount: 0,
      regression: detectRegression(d, history, cfg.regression_window_ms),
      transitions: [at],
      flapping: false,
      labels: ticketLabels(d, device),
      content: null,
      acknowledgedAt: null,
    };
    // An open ticket joining a live incident (or suppressed) is placed before its insert and written once;
    // one that needs a new or reopened incident is attached after it, as is a ticket the insert did not
    // store as placed (on PostgreSQL, a replica that raced us stored its own: its row is returned). id 0 is no ticket.
    const draft: TicketRecord = { ...base, content: buildContent(d, base), id: 0 };
    const placed = draft.status === "open" ? await this.incidents.place(draft, device, { existingOnly: true }) : null;
    const { id: _unsaved, ...fields } = draft;
    t = await store.insertTicket(fields);
    this.ctx.log.info({ ticket: t.id, device: t.deviceId, fault: t.fault, status: t.status, regression: t.regression !== null }, "ticket created");
    const storedAsPlaced = t.incidentId === draft.incidentId && t.suppressedBy === draft.suppressedBy;
    if (placed === "later" || (draft.status === "open" && !storedAsPlaced)) await this.incidents.attach(t);
    // a severity the incident rose to is set on every member, this one included (the insert returned the rest as stored)
    else if (placed) t.severity = (await this.incidents.refresh(placed, t)).severity;
    events.emit("ticket", { action: "opened", ticket: t });
    // attach just decided this ticket's suppression; only a new network fault changes the device's
    // other tickets (local-network inhibition), so the recheck is skipped on the storm's hot path
    if (t.fault === "network") {
      await this.#recheckDevice(d.device_id);
      return (await store.getTicket(t.id)) ?? t;
    }
    return t;
  }

  async #healthy(d: DiagnosisMessage, at: number): Promise<null> {
    const { store, cfg } = this.ctx;
    for (const t of await store.listTickets({ deviceId: d.device_id, statuses: [...LIVE] })) {
      if (t.status === "pending") {
        // flap control: a fault that did not outlast the pending period never opens
        await store.deleteTicket(t.id);
        continue;
      }
      if (t.healthySince === null) {
        t.healthySince = at;
        this.#transition(t, at);
      }
      // Verification (issue #6): a healthy diagnosis the fleet asked for or the device ran as
      // `verification`, or any healthy diagnosis once the hold-down has passed.
      if (d.trigger === "verification" || d.trigger === "command" || at - t.healthySince >= cfg.hold_down_ms) t.verifiedAt = at;
      t.updatedAt = at;
      await store.updateTicket(t);
      await this.#maybeResolve(t, at);
    }
    await this.#recheckDevice(d.device_id);
    return null;
  }

  /** Resolves a recovered ticket once it has been healthy past the hold-down and verified. */
  async #maybeResolve(t: TicketRecord, at: number): Promise<void> {
    if (t.healthySince === null || at - t.healthySince < this.ctx.cfg.hold_down_ms) return;
    if (t.verifiedAt === null) {
      // once per recovery: a ticket that flapped, or was resolved by hand and reopened, is asked again
      if (this.ctx.cfg.request_verification && this.#requestVerification && this.#verificationAsked.get(t.id) !== t.healthySince) {
        this.#verificationAsked.set(t.id, t.healthySince);
        await Promise.resolve(this.#requestVerification(t.deviceId)).catch((err: Error) => this.ctx.log.warn({ err, device: t.deviceId }, "verification request failed"));
      }
      return;
    }
    await this.resolveTicket(t, "auto");
  }

  /** Marks one ticket resolved; resolves its incident when it was the last live member. */
  async resolveTicket(t: TicketRecord, by: string): Promise<void> {
    const { store, events } = this.ctx;
    this.#verificationAsked.delete(t.id);
    const at = this.ctx.now();
    const done: TicketRecord = { ...t, status: "resolved", resolvedAt: at, updatedAt: at };
    await store.updateTicket(done);
    events.emit("ticket", { action: "resolved", ticket: done });
    if (t.incidentId === null) return;
    const inc = await store.getIncident(t.incidentId);
    if (!inc || (inc.status !== "open" && inc.status !== "acknowledged")) return;
    if ((await store.countIncidentMembers(inc.id)).live === 0) await this.incidents.resolve(inc, by, by === "auto" ? "every device recovered and passed verification" : null);
    else await this.incidents.refresh(inc);
  }

  #transition(t: TicketRecord, at: number): void {
    const { flap_window_ms, flap_transitions } = this.ctx.cfg;
    t.transitions = [...t.transitions.filter((x) => at - x <= flap_window_ms), at].slice(-64);
    const was = t.flapping;
    t.flapping = t.transitions.length >= flap_transitions;
    if (t.flapping && !was) this.ctx.log.info({ ticket: t.id, device: t.deviceId }, "ticket flapping; notifications muted");
  }

  /** Recomputes suppression of a device's live tickets, attaching the ones no longer suppressed. */
  async #recheckDevice(deviceId: string): Promise<void> {
    const { store } = this.ctx;
    const touched = new Set<number>();
    for (const t of await store.listTickets({ deviceId, statuses: ["open", "acknowledged"] })) {
      const sup = await this.incidents.suppression(t);
      if (sup === t.suppressedBy && (sup !== null || t.incidentId !== null)) continue;
      t.suppressedBy = sup;
      // one that recovered while inhibited or silenced pages nobody now: it resolves quietly, or attaches if it recurs
      if (!sup && t.incidentId === null && t.healthySince === null) await this.incidents.attach(t);
      else await store.updateTicket(t);
      if (t.incidentId !== null) touched.add(t.incidentId);
    }
    for (const id of touched) {
      const inc = await store.getIncident(id);
      if (inc && (inc.status === "open" || inc.status === "acknowledged")) await this.incidents.refresh(inc);
    }
  }

  /**
   * The periodic pass. Each step selects only what is due (issue #9: at 10,000 open tickets a pass that
   * read every live ticket every 200 ms starved the intake): pending tickets past the pending period,
   * flapping tickets (their window decays), tickets whose hold-down ended since the last pass, devices
   * whose network ticket resolved since the last pass (local-network inhibition lifts), and — only when
   * the set of active silences changed — every device with a live ticket.
   */
  async #evaluate(): Promise<void> {
    const { store, cfg, events } = this.ctx;
    const at = this.ctx.now();
    const last = this.#passed;
    const LIMIT = 100_000;
    const devices = new Set<string>();
    // pending tickets past the period: all stored open first, then attached (oldest first), so that a device's
    // network ticket opening in the same pass inhibits its cloud tickets before any of them pages
    const opening = (await store.listTickets({ status: "pending", openedBefore: at - cfg.pending_ms, limit: LIMIT }))
      .filter((t) => at - t.firstSeen >= cfg.pending_ms)
      .reverse()
      .map((t): TicketRecord => ({ ...t, status: "open", openedAt: at, updatedAt: at }));
    for (const t of opening) await store.updateTicket(t);
    for (const t of opening) {
      await this.incidents.attach(t);
      events.emit("ticket", { action: "opened", ticket: t });
      // the device's cloud tickets already open are inhibited now (local network)
      if (t.fault === "network") devices.add(t.deviceId);
    }
    for (const t of await store.listTickets({ statuses: ["open", "acknowledged"], flapping: true, limit: LIMIT })) {
      t.transitions = t.transitions.filter((x) => at - x <= cfg.flap_window_ms);
      t.flapping = t.transitions.length >= cfg.flap_transitions;
      if (!t.flapping) await store.updateTicket(t);
    }
    // a ticket verified before its hold-down ended resolves now; an unverified one asks once. Later
    // passes skip it: the verification diagnosis (or any healthy one) resolves it on arrival.
    const holdDown = at - cfg.hold_down_ms;
    const due = await store.listTickets({ statuses: ["open", "acknowledged"], healthySince: { before: holdDown, ...(last ? { after: last.holdDown } : {}) }, limit: LIMIT });
    for (const t of due) await this.#maybeResolve(t, at);
    for (const t of await store.listTickets({ status: "resolved", fault: "network", resolvedWithin: { before: at, ...(last ? { after: last.resolved } : {}) }, limit: LIMIT })) {
      devices.add(t.deviceId);
    }
    const silences = JSON.stringify((await this.silences.active(at)).map((x) => [x.id, x.matchers, x.startsAt, x.endsAt]));
    if (silences !== last?.silences) {
      // a silence began, ended or changed (or the fleet just started): every live ticket's suppression may change
      for (const t of await store.listTickets({ statuses: ["open", "acknowledged"], limit: LIMIT })) devices.add(t.deviceId);
    }
    this.#passed = { holdDown, resolved: at, silences };
    for (const id of devices) await this.#recheckDevice(id);
    for (const inc of await store.listIncidents({ statuses: [...ACTIVE], limit: LIMIT })) {
      const i = await this.incidents.refresh(inc);
      await this.#slaCheck(i, at);
    }
    for (const inc of await store.listIncidents({ statuses: ["resolved"], limit: LIMIT })) {
      if (inc.resolvedAt !== null && at - inc.resolvedAt > cfg.reopen_window_ms) await this.closeIncident(inc.id, "auto");
    }
    for (const t of await store.listTickets({ status: "resolved", incidentId: null, resolvedWithin: { before: at - cfg.reopen_window_ms - 1 }, limit: LIMIT })) {
      await store.updateTicket({ ...t, status: "closed", closedAt: at, updatedAt: at });
    }
  }

  /** SLA clocks: an unacknowledged incident past its respond-by, or an open one past its resolve-by, escalates once per severity. */
  async #slaCheck(i: IncidentRecord, at: number): Promise<void> {
    const breached = (clock: "respond" | "resolve") => i.escalations.some((e) => e.clock === clock && e.severity === i.severity);
    const due: ("respond" | "resolve")[] = [];
    if (i.status === "open" && i.respondBy !== null && at > i.respondBy && !breached("respond")) due.push("respond");
    if (i.resolveBy !== null && at > i.resolveBy && !breached("resolve")) due.push("resolve");
    // while every member is suppressed or flapping nobody could be told: the escalation waits for the mute to end
    if (due.length && (await this.incidents.muted(i))) return;
    for (const clock of due) {
      i.escalations.push({ clock, at, severity: i.severity });
      i.updatedAt = at;
      await this.ctx.store.updateIncident(i);
      await this.incidents.audit("system", "incident.escalate", i.id, { clock, severity: i.severity });
      this.ctx.log.warn({ incident: i.id, clock, severity: i.severity }, "SLA breached; escalating");
      this.ctx.events.emit("incident", { action: "escalated", incident: i });
      await this.incidents.notify(i, "escalate", `${clock} time of ${i.severity} exceeded`);
    }
  }

  /** Closes a resolved incident and its resolved tickets (reopen window over, or a person's word). */
  async closeIncident(id: number, actor: string): Promise<boolean> {
    const { store, events } = this.ctx;
    const inc = await store.getIncident(id);
    if (!inc || inc.status !== "resolved") return false;
    const at = this.ctx.now();
    const closed = { ...inc, status: "closed" as const, closedAt: at, updatedAt: at };
    await store.updateIncident(closed);
    for (const t of await store.listTickets({ incidentId: id, status: "resolved", limit: 100_000 })) {
      const c: TicketRecord = { ...t, status: "closed", closedAt: at, updatedAt: at };
      await store.updateTicket(c);
      events.emit("ticket", { action: "closed", ticket: c });
    }
    await this.incidents.audit(actor, "incident.close", id, {});
    events.emit("incident", { action: "closed", incident: closed });
    return true;
  }
}
