import type { IncidentRecord, IncidentStatus, TicketRecord } from "../store/types.ts";
import { LIVE } from "./context.ts";
import type { TicketEngine } from "./engine.ts";

const live = (t: TicketRecord) => (LIVE as readonly string[]).includes(t.status);

/** A ticket as the API shows it: the record, its incident's people-facing fields and its SLA clocks. */
export type TicketView = TicketRecord & {
  incident: Pick<IncidentRecord, "id" | "status" | "severity" | "title" | "deviceIds" | "assignee" | "acknowledgedBy" | "flapping" | "regression"> | null;
  assignee: string | null;
  sla: { respondBy: number | null; resolveBy: number | null; respondBreached: boolean; resolveBreached: boolean } | null;
};

/**
 * The people's side of the ticket engine (acknowledge, resolve, assign, comment, close, list), on
 * incidents and — for the REST API's per-ticket routes — on a ticket, which acts on its incident.
 * Every action is audited. An action that does not fit the current status returns null.
 */
export class TicketActionsApi {
  #e: TicketEngine;

  constructor(engine: TicketEngine) {
    this.#e = engine;
  }

  listIncidents(f: { statuses?: IncidentStatus[]; limit?: number } = {}): Promise<IncidentRecord[]> {
    return this.#e.ctx.store.listIncidents(f);
  }

  /** An incident with its member tickets and audit trail. */
  async getIncident(id: number): Promise<{ incident: IncidentRecord; tickets: TicketRecord[]; audit: Awaited<ReturnType<TicketEngine["ctx"]["store"]["listAudit"]>> } | null> {
    const { store } = this.#e.ctx;
    const incident = await store.getIncident(id);
    if (!incident) return null;
    return { incident, tickets: await store.listTickets({ incidentId: id, limit: 100_000 }), audit: await store.listAudit(`incident:${id}`) };
  }

  acknowledgeIncident(id: number, actor: string): Promise<IncidentRecord | null> {
    return this.#e.serial(async () => {
      const { store, events } = this.#e.ctx;
      const inc = await store.getIncident(id);
      if (!inc || inc.status !== "open") return null;
      const at = this.#e.ctx.now();
      const next: IncidentRecord = { ...inc, status: "acknowledged", acknowledgedAt: at, acknowledgedBy: actor, updatedAt: at };
      await store.updateIncident(next);
      for (const t of await store.listTickets({ incidentId: id, status: "open", limit: 100_000 })) {
        const a: TicketRecord = { ...t, status: "acknowledged", acknowledgedAt: at, updatedAt: at };
        await store.updateTicket(a);
        events.emit("ticket", { action: "acknowledged", ticket: a });
      }
      await this.#e.incidents.audit(actor, "incident.acknowledge", id, {});
      events.emit("incident", { action: "acknowledged", incident: next });
      await this.#e.incidents.notify(next, "acknowledge", `acknowledged by ${actor}`);
      return next;
    });
  }

  /** A person's resolution: every live member ticket resolves with the incident. */
  resolveIncident(id: number, actor: string, note: string | null = null): Promise<IncidentRecord | null> {
    return this.#e.serial(async () => {
      const { store, events } = this.#e.ctx;
      const inc = await store.getIncident(id);
      if (!inc || (inc.status !== "open" && inc.status !== "acknowledged")) return null;
      const at = this.#e.ctx.now();
      for (const t of await store.listTickets({ incidentId: id, statuses: [...LIVE], limit: 100_000 })) {
        const r: TicketRecord = { ...t, status: "resolved", resolvedAt: at, updatedAt: at };
        await store.updateTicket(r);
        events.emit("ticket", { action: "resolved", ticket: r });
      }
      return this.#e.incidents.resolve(inc, actor, note);
    });
  }

  assignIncident(id: number, actor: string, assignee: string | null): Promise<IncidentRecord | null> {
    return this.#change(id, actor, "incident.assign", { assignee }, (i) => ({ ...i, assignee }));
  }

  commentIncident(id: number, actor: string, text: string): Promise<IncidentRecord | null> {
    const comment = { at: this.#e.ctx.now(), author: actor, text: text.slice(0, 4000) };
    return this.#change(id, actor, "incident.comment", { text: comment.text }, (i) => ({ ...i, comments: [...i.comments, comment] }));
  }

  closeIncident(id: number, actor: string): Promise<boolean> {
    return this.#e.serial(() => this.#e.closeIncident(id, actor));
  }

  #change(id: number, actor: string, action: string, detail: Record<string, unknown>, fn: (i: IncidentRecord) => IncidentRecord): Promise<IncidentRecord | null> {
    return this.#e.serial(async () => {
      const inc = await this.#e.ctx.store.getIncident(id);
      if (!inc) return null;
      const next = { ...fn(inc), updatedAt: this.#e.ctx.now() };
      await this.#e.ctx.store.updateIncident(next);
      await this.#e.incidents.audit(actor, action, id, detail);
      this.#e.ctx.events.emit("incident", { action: "updated", incident: next });
      return next;
    });
  }

  // ── per-ticket routes (broker/http/ports.ts TicketActions): act on the ticket's incident ──

  async get(id: number): Promise<TicketView | null> {
    const { store } = this.#e.ctx;
    const t = await store.getTicket(id);
    if (!t) return null;
    const inc = t.incidentId !== null ? await store.getIncident(t.incidentId) : null;
    const now = this.#e.ctx.now();
    return {
      ...t,
      assignee: inc?.assignee ?? null,
      acknowledgedAt: inc?.acknowledgedAt ?? t.acknowledgedAt,
      incident: inc ? { id: inc.id, status: inc.status, severity: inc.severity, title: inc.title, deviceIds: inc.deviceIds, assignee: inc.assignee, acknowledgedBy: inc.acknowledgedBy, flapping: inc.flapping, regression: inc.regression } : null,
      sla: inc
        ? {
            respondBy: inc.respondBy,
            resolveBy: inc.resolveBy,
            respondBreached: inc.respondBy !== null && (inc.acknowledgedAt ?? now) > inc.respondBy,
            resolveBreached: inc.resolveBy !== null && (inc.resolvedAt ?? now) > inc.resolveBy,
          }
        : null,
    };
  }

  async acknowledge(id: number, actor: string): Promise<TicketView | null> {
    // read and written in the engine's turn: the periodic pass may link the ticket to an incident meanwhile
    const done = await this.#alone(id, { incident: () => true, alone: (t) => t.status === "open" }, async (t) => {
      // a suppressed ticket has no incident: acknowledged alone
      const at = this.#e.ctx.now();
      await this.#e.ctx.store.updateTicket({ ...t, status: "acknowledged", acknowledgedAt: at, updatedAt: at });
    });
    if (done === null) return null;
    if (done !== "done") return (await this.acknowledgeIncident(done, actor)) ? this.get(id) : null;
    await this.#auditTicket(actor, "ticket.acknowledge", id, {});
    return this.get(id);
  }

  async resolve(id: number, actor: string, note: string | null): Promise<TicketView | null> {
    const done = await this.#alone(id, { incident: live, alone: live }, (t) => this.#e.resolveTicket(t, actor));
    if (done === null) return null;
    if (done !== "done") return (await this.resolveIncident(done, actor, note)) ? this.get(id) : null;
    await this.#auditTicket(actor, "ticket.resolve", id, note ? { note } : {});
    return this.get(id);
  }

  /**
   * Acts on a ticket without an incident inside the engine's serial turn, on the ticket as it is then (the
   * periodic pass may have opened and linked a pending one since the caller looked): "done", the ticket's
   * incident id to act on instead, or null when it does not apply.
   */
  #alone(id: number, applies: { incident: (t: TicketRecord) => boolean; alone: (t: TicketRecord) => boolean }, act: (t: TicketRecord) => Promise<void>): Promise<"done" | number | null> {
    return this.#e.serial(async () => {
      const t = await this.#e.ctx.store.getTicket(id);
      if (!t) return null;
      if (t.incidentId !== null) return applies.incident(t) ? t.incidentId : null;
      if (!applies.alone(t)) return null;
      await act(t);
      return "done";
    });
  }

  async assign(id: number, actor: string, assignee: string | null): Promise<TicketView | null> {
    const t = await this.#e.ctx.store.getTicket(id);
    if (!t) return null;
    if (t.incidentId !== null) await this.assignIncident(t.incidentId, actor, assignee);
    else await this.#auditTicket(actor, "ticket.assign", id, { assignee });
    return this.get(id);
  }

  async comment(id: number, actor: string, text: string): Promise<TicketView | null> {
    const t = await this.#e.ctx.store.getTicket(id);
    if (!t) return null;
    if (t.incidentId !== null) await this.commentIncident(t.incidentId, actor, text);
    else await this.#auditTicket(actor, "ticket.comment", id, { text: text.slice(0, 4000) });
    return this.get(id);
  }

  #auditTicket(actor: string, action: string, id: number, detail: Record<string, unknown>): Promise<void> {
    return this.#e.ctx.store.addAudit({ at: this.#e.ctx.now(), actor, action, subject: `ticket:${id}`, detail });
  }
}
