import { FAULTS, severityRank, type Severity } from "../../shared/index.ts";
import { INCIDENT_DEVICE_SAMPLE, type DeviceRecord, type IncidentRecord, type TicketRecord } from "../store/types.ts";
import type { EngineContext } from "./context.ts";
import { ACTIVE } from "./context.ts";
import { groupKeyOf, inGroup } from "./fingerprint.ts";
import { postmortemTemplate } from "./postmortem.ts";
import { severityFor, worse } from "./severity.ts";
import { deadlines } from "./sla.ts";

/**
 * Incidents: grouping of device tickets, severity from the blast radius, notifications and the
 * incident side of the lifecycle. Used by the engine only while it holds its serial lock.
 */
export class Incidents {
  #c: EngineContext;

  constructor(c: EngineContext) {
    this.#c = c;
  }

  /** Why a live ticket should notify nobody right now, or null; `known` is its device's record when the caller has just read it. */
  async suppression(t: TicketRecord, known?: DeviceRecord | null): Promise<string | null> {
    const { store, silences } = this.#c;
    const side = FAULTS[t.fault].side;
    if (side === "cloud" || side === "unknown") {
      // inhibition (the Alertmanager model): a device that is offline or whose own network is broken
      // cannot tell us anything reliable about the cloud
      const device = known !== undefined ? known : await store.getDevice(t.deviceId);
      if (device && !device.online) return "device_offline";
      const local = await store.listTickets({ deviceId: t.deviceId, statuses: ["open", "acknowledged"], fault: "network" });
      if (local.some((x) => x.id !== t.id && x.healthySince === null)) return "local_network";
    }
    const silence = await silences.matching(t.labels, this.#c.now());
    return silence ? `silence:${silence.id}` : null;
  }

  /** Links an open ticket to its incident (creating or reopening it), unless the ticket is suppressed. */
  async attach(t: TicketRecord): Promise<void> {
    const incident = await this.place(t);
    await this.#c.store.updateTicket(t);
    if (incident) await this.refresh(incident, t);
  }

  /**
   * Decides an open ticket's suppression and incident (creating or reopening the incident) and sets them on
   * `t` without storing `t`; returns the incident to refresh once `t` is stored, or null.
   *
   * With `existingOnly`, for a ticket not stored yet: it joins a live incident, or is suppressed, without
   * any write; where it would need a new or reopened incident it answers "later" having changed nothing,
   * and the caller attaches it after its insert, so no incident is opened for a ticket that never gets
   * stored. Joining a live incident — every device of a storm but the first — is then one write (issue
   * #9: the insert and the update that linked it, each with the membership triggers, were ~20 % of the
   * fleet's CPU in a 10,000-device storm).
   */
  async place(t: TicketRecord, device?: DeviceRecord | null): Promise<IncidentRecord | null>;
  async place(t: TicketRecord, device: DeviceRecord | null | undefined, o: { existingOnly: true }): Promise<IncidentRecord | null | "later">;
  async place(t: TicketRecord, device?: DeviceRecord | null, o: { existingOnly?: boolean } = {}): Promise<IncidentRecord | null | "later"> {
    const { store, cfg } = this.#c;
    const at = this.#c.now();
    t.suppressedBy = await this.suppression(t, device);
    if (t.suppressedBy || t.incidentId !== null) {
      const linked = !t.suppressedBy && t.incidentId !== null ? await store.getIncident(t.incidentId) : null;
      if (!linked || (linked.status !== "open" && linked.status !== "acknowledged")) return null;
      // a ticket reopening into an incident someone already acknowledged is acknowledged with it
      if (linked.status === "acknowledged" && t.status === "open") t.status = "acknowledged";
      return linked;
    }
    let incident = FAULTS[t.fault].side === "cloud" ? await this.#absorbing(t) : null;
    const { key, groupLabels } = groupKeyOf(t.fingerprint, t.labels, cfg.group_by);
    if (!incident) {
      const [latest] = await store.listIncidents({ key, limit: 1 });
      if (latest && (latest.status === "open" || latest.status === "acknowledged")) incident = latest;
      else if (o.existingOnly) return "later";
      else if (latest?.status === "resolved" && latest.resolvedAt !== null && at - latest.resolvedAt <= cfg.reopen_window_ms) {
        incident = await this.reopen(latest, `${t.deviceId} reported ${t.fault} again`);
      }
    }
    if (!incident) {
      if (o.existingOnly) return "later";
      const sev = severityFor(t.fault, 1, await store.countDevices({ online: true }), cfg.severity, cfg.default_severity);
      incident = await store.insertIncident({
        key,
        fingerprint: t.fingerprint,
        fault: t.fault,
        family: t.family,
        side: FAULTS[t.fault].side,
        groupLabels,
        status: "open",
        severity: sev,
        title: `${FAULTS[t.fault].title}${t.family ? ` (${t.family} errors)` : ""}${Object.keys(groupLabels).length ? ` — ${Object.entries(groupLabels).map(([k, v]) => `${k} ${v}`).join(", ")}` : ""}`,
        openedAt: at,
        clockStartedAt: at,
        updatedAt: at,
        notifiedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        closedAt: null,
        assignee: null,
        comments: [],
        deviceIds: [],
        peakDevices: 0,
        peakShare: 0,
        escalations: [],
        reopenCount: 0,
        flapping: false,
        regression: null,
        postmortem: null,
        ...deadlines(at, sev, cfg),
      });
      this.#c.log.info({ incident: incident.id, key }, "incident opened");
      this.#c.events.emit("incident", { action: "opened", incident });
    }
    t.incidentId = incident.id;
    // members carry their incident's severity (a rise later sets all of them in one statement)
    t.severity = incident.severity;
    if (incident.status === "acknowledged" && t.status === "open") t.status = "acknowledged";
    return incident;
  }

  /** A fleet-wide cloud incident absorbs a device's cloud ticket: linked to it, not duplicated. */
  async #absorbing(t: TicketRecord): Promise<IncidentRecord | null> {
    const open = await this.#c.store.listIncidents({ statuses: [...ACTIVE] });
    // within the same group (a regional outage does not absorb another region's devices)
    const wide = open.filter((i) => i.side === "cloud" && i.peakShare >= this.#c.cfg.absorb_share && i.peakDevices > 1 && inGroup(i.groupLabels, t.labels));
    return wide.find((i) => i.fingerprint === t.fingerprint) ?? wide.sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0] ?? null;
  }

  /**
   * Raises an incident's severity with its radius and notifies when due. O(1) whatever the incident's
   * size (issue #9): the store keeps the member counts as tickets change, so nothing here reads the
   * members. `joined` is the member ticket that just changed, for what counts cannot carry (regression).
   */
  async refresh(incident: IncidentRecord, joined: TicketRecord | null = null): Promise<IncidentRecord> {
    const { store, cfg } = this.#c;
    const at = this.#c.now();
    const m = await store.countIncidentMembers(incident.id);
    // devices with an active member ticket: one device's several tickets are one user (membership.ts)
    const active = m.activeDevices;
    // the caller's record may predate the member it just linked: a sample still short of devices is read again
    const cur = { ...incident, deviceCount: m.devices, activeDevices: active };
    if (cur.deviceIds.length < Math.min(m.devices, INCIDENT_DEVICE_SAMPLE)) cur.deviceIds = await store.listIncidentDevices(cur.id, { limit: INCIDENT_DEVICE_SAMPLE });
    const online = await store.countDevices({ online: true });
    const share = active / Math.max(online, active, 1);
    const i = { ...cur };
    i.peakDevices = Math.max(i.peakDevices, active);
    i.peakShare = Math.max(i.peakShare, share);
    i.flapping = m.active > 0 && m.flapping === m.active;
    if (joined && !joined.suppressedBy && joined.regression) i.regression ??= joined.regression;
    const sev = worse(i.severity, severityFor(i.fault, active, online, cfg.severity, cfg.default_severity));
    const raised = sev !== i.severity;
    if (raised) {
      this.#c.log.warn({ incident: i.id, from: i.severity, to: sev, devices: active }, "incident severity raised");
      i.severity = sev;
      // from the clocks' start: a reopened incident's deadlines count from its reopening, not its first opening
      Object.assign(i, deadlines(await this.#clockStart(i), sev, cfg));
      await store.setMemberSeverity(i.id, sev);
    }
    const changed = raised || i.peakDevices !== cur.peakDevices || i.flapping !== cur.flapping || i.regression !== cur.regression;
    if (changed) {
      i.updatedAt = at;
      await store.updateIncident(i);
    }
    if (i.status === "open" || i.status === "acknowledged") {
      if (i.notifiedAt === null && at - i.openedAt >= cfg.group_wait_ms) await this.notify(i, "trigger", `${active} device(s) affected`);
      else if (raised && i.notifiedAt !== null) await this.notify(i, "trigger", `severity raised to ${sev}: ${active} device(s) affected`);
    }
    // the periodic pass refreshes every open incident: only a change is news for live views
    if (changed) this.#c.events.emit("incident", { action: raised ? "escalated" : "updated", incident: i });
    return i;
  }

  /** True when nobody should be told: every member is suppressed or flapping. */
  async muted(i: IncidentRecord): Promise<boolean> {
    if (i.flapping) return true;
    const m = await this.#c.store.countIncidentMembers(i.id);
    return m.live > 0 && m.active === 0;
  }

  /** Sends a notification unless muted; marks the first one. */
  async notify(i: IncidentRecord, action: "trigger" | "acknowledge" | "resolve" | "escalate", reason: string): Promise<void> {
    const at = this.#c.now();
    if (action === "trigger" || action === "escalate") {
      if (await this.muted(i)) return;
      if (i.notifiedAt === null) {
        i.notifiedAt = at;
        await this.#c.store.updateIncident(i);
      }
    } else if (i.notifiedAt === null) return; // nobody was told it opened
    this.#c.notify.send({ action, incident: structuredClone(i), reason, at });
  }

  /**
   * When the incident's current SLA clocks started. An incident reopened by a fleet before `clockStartedAt` was kept
   * has its reopening only in the audit trail: read there (a severity raise on such an incident is rare).
   */
  async #clockStart(i: IncidentRecord): Promise<number> {
    if (i.clockStartedAt !== undefined) return i.clockStartedAt;
    if (i.reopenCount === 0) return i.openedAt;
    const reopened = (await this.#c.store.listAudit(`incident:${i.id}`)).filter((a) => a.action === "incident.reopen").map((a) => a.at);
    return Math.max(i.openedAt, ...reopened);
  }

  async reopen(i: IncidentRecord, reason: string): Promise<IncidentRecord> {
    const at = this.#c.now();
    const next: IncidentRecord = { ...i, status: "open", reopenCount: i.reopenCount + 1, resolvedAt: null, resolvedBy: null, acknowledgedAt: null, acknowledgedBy: null, postmortem: null, updatedAt: at, clockStartedAt: at, ...deadlines(at, i.severity, this.#c.cfg), escalations: [] };
    await this.#c.store.updateIncident(next);
    await this.audit("system", "incident.reopen", next.id, { reason });
    this.#c.events.emit("incident", { action: "reopened", incident: next });
    if (next.notifiedAt !== null) await this.notify(next, "trigger", `reopened: ${reason}`);
    return next;
  }

  /** Resolves an incident whose members are all resolved (auto), or on a person's word. */
  async resolve(i: IncidentRecord, by: string, note: string | null): Promise<IncidentRecord> {
    const at = this.#c.now();
    const next: IncidentRecord = { ...i, status: "resolved", resolvedAt: at, resolvedBy: by, updatedAt: at };
    if (severityRank(next.severity) <= severityRank("P1" as Severity)) {
      next.postmortem = postmortemTemplate(next, (await this.#c.store.listAudit(`incident:${i.id}`)).reverse());
    }
    await this.#c.store.updateIncident(next);
    await this.audit(by, "incident.resolve", i.id, note ? { note } : {});
    this.#c.events.emit("incident", { action: "resolved", incident: next });
    await this.notify(next, "resolve", note ?? `resolved by ${by}`);
    return next;
  }

  audit(actor: string, action: string, incidentId: number, detail: Record<string, unknown>): Promise<void> {
    return this.#c.store.addAudit({ at: this.#c.now(), actor, action, subject: `incident:${incidentId}`, detail });
  }
}
