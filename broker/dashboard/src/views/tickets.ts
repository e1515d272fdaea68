import type { DiagnosisMessage } from "../../../../shared/index.ts";
import { countdown, fill, h, table, time } from "../dom.ts";
import { debounce, type Ctx, type View } from "../view.ts";
import { canAct } from "../view.ts";
import { verdictView } from "./device.ts";

interface Sla {
  respondBy: number | null;
  resolveBy: number | null;
  respondBreached: boolean;
  resolveBreached: boolean;
}

interface TicketView {
  id: number;
  title: string;
  deviceId: string;
  fault: string;
  status: string;
  severity: string;
  openedAt: number;
  occurrences: number;
  evidence: DiagnosisMessage;
  sla?: Sla | null;
  assignee?: string | null;
  incident?: { id: number; deviceIds: string[]; title: string } | null;
}

interface IncidentFull {
  incident: { id: number; title: string; status: string; severity: string; deviceIds: string[]; assignee: string | null; comments?: { at: number; author: string; text: string }[]; postmortem: { cause: string; impact: string; timeline: { at: number; event: string }[]; actions: string[] } | null };
  audit: { at: number; actor: string; action: string }[];
}

function slaCell(t: TicketView): HTMLElement {
  if (t.status === "resolved" || t.status === "closed") return h("span", { class: "muted" }, t.status);
  const due = t.status === "open" ? (t.sla?.respondBy ?? null) : (t.sla?.resolveBy ?? null);
  const c = countdown(due);
  return h("span", { class: `countdown${c.overdue ? " overdue" : ""}`, "data-due": due ?? "" }, `${t.status === "open" ? "respond" : "resolve"}: ${c.text}`);
}

/** Tickets: severity, status, SLA remaining, affected device; filter by status. */
export async function ticketList(ctx: Ctx, params: URLSearchParams): Promise<View> {
  const status = h("select", { id: "t-status" }, ...["active", "open", "acknowledged", "resolved", "closed", ""].map((s) => h("option", { value: s }, s || "all")));
  status.value = params.get("status") ?? "active";
  const results = h("div");
  const render = async () => {
    const { tickets } = await ctx.api.get<{ tickets: TicketView[] }>(`/api/tickets?limit=500${status.value ? `&status=${status.value}` : ""}`);
    results.replaceChildren(
      tickets.length
        ? table(["Severity", "Ticket", "Device", "Status", "SLA", "Opened", "Seen"], tickets.map((t) => [
            h("span", { class: `badge sev-${t.severity}` }, t.severity),
            h("a", { href: `#/tickets/${t.id}`, "data-ticket": t.id }, `#${t.id} ${t.title}`),
            h("a", { href: `#/devices/${encodeURIComponent(t.deviceId)}` }, t.deviceId),
            t.status,
            slaCell(t),
            time(t.openedAt),
            `${t.occurrences}×`,
          ]))
        : h("p", { class: "muted" }, "No tickets match."),
    );
  };
  const refresh = debounce(() => void render().catch(() => {}));
  status.addEventListener("change", refresh);
  await render();
  const q = new URLSearchParams(status.value ? { status: status.value } : {});
  const el = h("section", {},
    h("h1", {}, "Tickets"),
    h("form", { class: "filters", onsubmit: (e: Event) => e.preventDefault() }, h("label", { for: "t-status" }, "Status"), status,
      h("a", { class: "button", href: `/api/tickets/export?format=csv&${q}`, onclick: (e: Event) => (e.preventDefault(), void ctx.api.download(`/api/tickets/export?format=csv&${q}`, "tickets.csv")) }, "Export CSV")),
    results);
  const timer = setInterval(() => void 0, 1000);
  return { el, onEvent: (type) => (type === "ticket" || type === "incident") && refresh(), dispose: () => (clearInterval(timer), refresh.cancel()) };
}

/** One ticket: SLA, affected devices, evidence, actions (acknowledge, assign, comment, resolve), postmortem. */
export async function ticketPage(ctx: Ctx, id: number): Promise<View> {
  const el = h("section", { class: "ticket" });
  const msg = h("p", { role: "status", "aria-live": "polite" });
  const act = async (path: string, body: unknown = {}) => {
    try {
      await ctx.api.post(`/api/tickets/${id}/${path}`, body);
      msg.textContent = "Done.";
      await render();
    } catch (err) {
      msg.textContent = (err as Error).message;
    }
  };
  const render = async () => {
    const { ticket: t } = await ctx.api.get<{ ticket: TicketView }>(`/api/tickets/${id}`);
    const inc = t.incident ? await ctx.api.get<IncidentFull>(`/api/incidents/${t.incident.id}`).catch(() => null) : null;
    const assignee = h("input", { id: "assignee", value: t.assignee ?? "", autocomplete: "off" });
    const comment = h("textarea", { id: "comment", rows: 2 });
    const note = h("input", { id: "resolve-note", autocomplete: "off" });
    const live = t.status === "open" || t.status === "acknowledged" || t.status === "pending";
    const actions = canAct(ctx.role) && live
      ? h("div", { class: "ticket-actions" },
          t.status === "open" ? h("button", { type: "button", class: "primary", id: "acknowledge", onclick: () => void act("acknowledge") }, "Acknowledge") : null,
          h("form", { onsubmit: (e: Event) => (e.preventDefault(), void act("assign", { assignee: assignee.value.trim() || null })) }, h("label", { for: "assignee" }, "Assignee"), assignee, h("button", { type: "submit" }, "Assign")),
          h("form", { onsubmit: (e: Event) => (e.preventDefault(), comment.value.trim() && void act("comment", { text: comment.value.trim() })) }, h("label", { for: "comment" }, "Comment"), comment, h("button", { type: "submit" }, "Add comment")),
          h("form", { onsubmit: (e: Event) => (e.preventDefault(), void act("resolve", note.value.trim() ? { note: note.value.trim() } : {})) }, h("label", { for: "resolve-note" }, "Resolution note"), note, h("button", { type: "submit" }, "Resolve")),
        )
      : "";
    const pm = inc?.incident.postmortem;
    const devices = inc?.incident.deviceIds ?? [t.deviceId];
    fill(el,
      h("p", {}, h("a", { href: "#/tickets" }, "← Tickets")),
      h("h1", {}, h("span", { class: `badge sev-${t.severity}` }, t.severity), ` #${t.id} ${t.title}`),
      h("div", { class: "tiles small" },
        h("div", { class: "tile" }, "Status ", h("strong", { id: "ticket-status" }, t.status)),
        h("div", { class: "tile" }, slaCell(t)),
        h("div", { class: "tile" }, "Opened ", h("strong", {}, time(t.openedAt))),
        h("div", { class: "tile" }, "Assignee ", h("strong", {}, t.assignee ?? "nobody")),
      ),
      h("h2", {}, `Affected devices (${devices.length})`),
      h("ul", { class: "inline" }, ...devices.map((d) => h("li", {}, h("a", { href: `#/devices/${encodeURIComponent(d)}` }, d)))),
      actions, msg,
      h("h2", {}, "Evidence"), verdictView(t.evidence),
      inc?.incident.comments?.length ? h("section", {}, h("h2", {}, "Comments"), h("ul", {}, ...inc.incident.comments.map((c) => h("li", {}, `${time(c.at)} ${c.author}: ${c.text}`)))) : null,
      inc?.audit.length ? h("details", {}, h("summary", {}, "Audit trail"), h("ul", {}, ...inc.audit.map((a) => h("li", {}, `${time(a.at)} ${a.action} by ${a.actor}`)))) : "",
      pm ? h("section", { class: "postmortem" }, h("h2", {}, "Postmortem"), h("h3", {}, "Impact"), h("p", {}, pm.impact), h("h3", {}, "Cause"), h("p", {}, pm.cause),
        h("h3", {}, "Timeline"), h("ol", {}, ...pm.timeline.map((e) => h("li", {}, `${time(e.at)} — ${e.event}`))), h("h3", {}, "Actions"), h("ul", {}, ...pm.actions.map((a) => h("li", {}, a)))) : "",
    );
  };
  await render();
  const refresh = debounce(() => void render().catch(() => {}));
  return { el, onEvent: (type, data) => (type === "ticket" && (data as { ticket: { id: number } }).ticket.id === id) || type === "incident" ? refresh() : undefined, dispose: () => refresh.cancel() };
}
