/**
 * The ticket engine (issue #6): device diagnoses in, few right actionable incidents out.
 *
 * Model
 *   ticket   = one device's fault, one live ticket per fingerprint per device. fingerprint =
 *              `fault:family:component`. Status pending → open → acknowledged → resolved → closed
 *              (reopened = back to open within `tickets.reopen_window_ms`).
 *   incident = the tickets of many devices with one fingerprint (plus `tickets.group_by` labels): the
 *              unit people act on, notified, SLA-clocked. Severity from the blast radius (share of the
 *              online fleet) and the function hit (shared/faults.ts impact); it only rises while open.
 *   membership: a ticket belongs to an incident through `incidentId`; the store keeps the incident's
 *              member counts (live / active / flapping / devices) and its device list in their own
 *              tables, updated by triggers as tickets change, so one diagnosis costs the same whether the
 *              incident holds 10 devices or 10,000 (issue #9). A stored incident carries `deviceCount`,
 *              `activeDevices` and the first 100 `deviceIds`; store.listIncidentDevices(id) pages through all.
 *              The blast radius counts devices, not tickets: the devices holding an active member ticket,
 *              kept per device by the same triggers (one device's several tickets are one user).
 *              The periodic pass selects only what is due (pending past the pending period, flapping,
 *              hold-down ended since the last pass, network tickets resolved since then, every live
 *              ticket only when the active silences change).
 *   suppressedBy on a ticket: `device_offline` / `local_network` (inhibition of cloud tickets) or
 *              `silence:<id>`; a suppressed ticket joins no incident and notifies nobody. One that recovers
 *              while suppressed stays quiet when the suppression lifts (it resolves, or attaches if it
 *              recurs); one that recurs while suppressed leaves its resolved incident resolved. An SLA
 *              deadline passing while an incident is muted escalates when the mute ends.
 *   reopen:    a recurring ticket takes the labels the device reports now; its resolved incident
 *              reopens only if the ticket still belongs to its group, else it joins its new group's.
 *   verification: a ticket resolves automatically when its device has been healthy for
 *              `hold_down_ms` AND a healthy diagnosis verified it — one with trigger `verification` or
 *              `command` (the fleet asks with a `diagnose` command when the hold-down ends), or any
 *              healthy diagnosis received after the hold-down.
 *
 * Programmatic API (FleetServer exposes these; the REST layer maps them to HTTP):
 *   fleet.tickets                      TicketEngine
 *     .onDiagnosis(d, at) / .onState(s) / .evaluate()      intake and the periodic pass
 *   fleet.ticketActions                TicketActionsApi (every action audited; null = not allowed now)
 *     .listIncidents({statuses?, limit?})                 → IncidentRecord[]
 *     .getIncident(id)                                    → {incident, tickets, audit} | null
 *     .acknowledgeIncident(id, actor)                     → IncidentRecord | null   (stops the respond clock)
 *     .resolveIncident(id, actor, note?)                  → IncidentRecord | null   (P0/P1 get a postmortem)
 *     .assignIncident(id, actor, assignee|null)           → IncidentRecord | null
 *     .commentIncident(id, actor, text)                   → IncidentRecord | null
 *     .closeIncident(id, actor)                           → boolean
 *     .get(ticketId) / .acknowledge / .resolve / .assign / .comment (per ticket; act on its incident)
 *                                                         → TicketView | null  (ticket + incident + sla)
 *   fleet.tickets.silences             SilenceService
 *     .create({matchers, startsAt, endsAt, comment, createdBy}) → SilenceRecord (throws SilenceError on bad input)
 *     .update(id, patch, actor) / .expire(id, actor) / .remove(id, actor) / .list() / .active(at?)
 *   export: ticketsToCsv(tickets), incidentsToCsv(incidents), exportJson(incidents, tickets, at)
 *   store:  fleet.store.listTickets({status?, statuses?, deviceId?, incidentId?, fault?, limit?, …}), listAudit(subject?),
 *           listDeadLetters(), countIncidentMembers(id), listIncidentDevices(id, {limit?, offset?})
 *
 * Events (fleet.events): `ticket` {action, ticket}, `incident` {action, incident}.
 * Notifications: broker/notify (webhooks: json | pagerduty (Events v2, dedup_key = incident key) | slack).
 */
export { TicketEngine, type TicketEngineOptions } from "./engine.ts";
export { TicketActionsApi, type TicketView } from "./actions.ts";
export { fingerprintOf, componentOf, groupKeyOf, ticketLabels } from "./fingerprint.ts";
export { severityFor } from "./severity.ts";
export { dueAt, deadlines, slaOf } from "./sla.ts";
export { ticketsToCsv, incidentsToCsv, exportJson } from "./export.ts";
export { systemScheduler, type Scheduler } from "./scheduler.ts";
