import type { DeviceRecord, TicketRecord } from "../../../store/types.ts";
import { countdown, h } from "../dom.ts";
import { FAULTS, health } from "../health.ts";
import { debounce, type Ctx, type View } from "../view.ts";

interface IncidentLite {
  id: number;
  title: string;
  severity: string;
  status: string;
  deviceIds: string[];
  /** Devices ever linked; deviceIds holds only the first 100 (issue #9). */
  deviceCount?: number;
  respondBy: number | null;
  resolveBy: number | null;
  acknowledgedAt: number | null;
}

type TicketLite = TicketRecord & { sla?: { respondBy: number | null; resolveBy: number | null } | null };

/** Fleet overview: online/offline, health by fault class, open incidents with their SLA countdown. */
export async function overview(ctx: Ctx): Promise<View> {
  const el = h("section", { "aria-labelledby": "ov-title" });
  const deadlines: { el: HTMLElement; at: number | null }[] = [];
  const tick = () => {
    for (const d of deadlines) {
      const c = countdown(d.at);
      d.el.textContent = c.text;
      d.el.classList.toggle("overdue", c.overdue);
    }
  };
  const render = async () => {
    const [{ devices }, tickets, incidents] = await Promise.all([
      ctx.api.get<{ devices: DeviceRecord[] }>("/api/devices?limit=5000"),
      ctx.api.get<{ tickets: TicketLite[] }>("/api/tickets?status=active&limit=500").then((r) => r.tickets),
      ctx.api.get<{ incidents: IncidentLite[] }>("/api/incidents?status=active").then((r) => r.incidents, () => null),
    ]);
    const online = devices.filter((d) => d.online).length;
    const byFault = new Map<string, number>();
    for (const d of devices) if (d.online && d.fault && d.fault !== "none") byFault.set(d.fault, (byFault.get(d.fault) ?? 0) + 1);
    const healthy = devices.filter((d) => d.online && d.fault === "none").length;
    const open: { id: string; href: string; title: string; severity: string; status: string; devices: number; due: number | null }[] = incidents
      ? incidents.map((i) => ({ id: `I-${i.id}`, href: `#/tickets?incident=${i.id}`, title: i.title, severity: i.severity, status: i.status, devices: i.deviceCount ?? i.deviceIds.length, due: i.status === "open" ? i.respondBy : i.resolveBy }))
      : tickets.map((t) => ({ id: `T-${t.id}`, href: `#/tickets/${t.id}`, title: t.title, severity: t.severity, status: t.status, devices: 1, due: t.status === "open" ? (t.sla?.respondBy ?? null) : (t.sla?.resolveBy ?? null) }));
    deadlines.length = 0;
    const incidentList = h("ul", { class: "incidents" });
    for (const i of open) {
      const due = h("span", { class: "countdown" });
      deadlines.push({ el: due, at: i.due });
      incidentList.append(h("li", { class: `sev sev-${i.severity}` }, h("span", { class: `badge sev-${i.severity}` }, i.severity), " ", h("a", { href: i.href }, i.title), h("span", { class: "muted" }, ` · ${i.status} · ${i.devices} device${i.devices === 1 ? "" : "s"} · `), i.status === "open" ? "respond: " : "resolve: ", due));
    }
    const faults = h("ul", { class: "bars" });
    for (const [fault, n] of [...byFault.entries()].sort((a, b) => b[1] - a[1])) {
      const cls = health({ online: true, fault: fault as DeviceRecord["fault"], faultSummary: null }).cls;
      faults.append(h("li", {}, h("a", { href: `#/devices?fault=${fault}` }, FAULTS[fault as keyof typeof FAULTS].title), h("span", { class: `bar ${cls}`, style: `--n:${n / Math.max(1, online)}` }), h("strong", {}, n)));
    }
    el.replaceChildren(
      h("h1", { id: "ov-title" }, "Fleet overview"),
      h("div", { class: "tiles" },
        h("a", { class: "tile ok", href: "#/devices?online=true" }, h("strong", {}, online), " online"),
        h("a", { class: "tile offline", href: "#/devices?online=false" }, h("strong", {}, devices.length - online), " offline"),
        h("a", { class: "tile ok", href: "#/devices?fault=none" }, h("strong", {}, healthy), " healthy"),
        h("a", { class: "tile fault", href: "#/tickets" }, h("strong", {}, open.length), ` open incident${open.length === 1 ? "" : "s"}`),
      ),
      h("div", { class: "cols" },
        h("section", { "aria-labelledby": "ov-faults" }, h("h2", { id: "ov-faults" }, "Health by fault class"), byFault.size ? faults : h("p", { class: "muted" }, "No online device reports a fault.")),
        h("section", { "aria-labelledby": "ov-inc" }, h("h2", { id: "ov-inc" }, "Open incidents"), open.length ? incidentList : h("p", { class: "muted" }, "No open incidents.")),
      ),
    );
    tick();
  };
  await render();
  const timer = setInterval(tick, 1000);
  const refresh = debounce(() => void render().catch(() => {}));
  return {
    el,
    onEvent: (type) => ["state", "diagnosis", "ticket", "incident"].includes(type) && refresh(),
    dispose: () => (clearInterval(timer), refresh.cancel()),
  };
}
