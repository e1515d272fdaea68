import type { SlaReportData } from "../../../reports/sla.ts";
import { h, table } from "../dom.ts";
import type { Ctx, View } from "../view.ts";

const pct = (v: number | null) => (v === null ? "—" : `${v.toFixed(3)} %`);
const ms = (v: number | null) => (v === null ? "—" : `${Math.round(v)} ms`);
const mark = (met: boolean | null, text: string) => h("span", { class: met === null ? "muted" : met ? "met" : "missed" }, text, met === false ? " ✗" : met ? " ✓" : "");

/** The vendor SLA report: availability, error rate by class and latency against commitments, per month and region. */
export async function slaPage(ctx: Ctx, params: URLSearchParams): Promise<View> {
  const field = (id: string, label: string, value: string) => [h("label", { for: id }, label), h("input", { id, name: id, value, inputmode: "decimal", size: 6 })] as const;
  const [aL, aI] = field("availability_pct", "Availability %", params.get("availability_pct") ?? "99.9");
  const [eL, eI] = field("error_rate_pct", "Error rate %", params.get("error_rate_pct") ?? "0.1");
  const [lL, lI] = field("latency_ms", "Latency ms", params.get("latency_ms") ?? "600");
  const out = h("div", { "aria-live": "polite" });
  const render = async () => {
    const q = new URLSearchParams({ availability_pct: aI.value, error_rate_pct: eI.value, latency_ms: lI.value });
    let r: SlaReportData;
    try {
      r = await ctx.api.get<SlaReportData>(`/api/reports/sla?${q}`);
    } catch (err) {
      out.replaceChildren(h("p", { class: "error" }, (err as Error).message));
      return;
    }
    const c = r.commitments;
    const row = (label: string, f: SlaReportData["overall"]) => [label, String(f.runs), mark(f.met.availability, pct(f.availabilityPct)), mark(f.met.errorRate, pct(f.errorRatePct)),
      Object.entries(f.errorsByClass).map(([k, v]) => `${k}: ${v}`).join(", ") || "—", ms(f.latencyMs.p50), ms(f.latencyMs.p90), ms(f.latencyMs.p99), mark(f.met.latency, ms(f.latencyMs[c.latencyPercentile]))];
    out.replaceChildren(
      h("p", {}, `Measured by the devices from ${new Date(r.from).toISOString().slice(0, 10)} to ${new Date(r.to).toISOString().slice(0, 10)}. Commitments: availability ≥ ${c.availabilityPct} %, error rate ≤ ${c.errorRatePct} %, ${c.latencyPercentile} latency ≤ ${c.latencyMs} ms. Timeouts, refusals and server errors count as unavailability; every error class is shown.`),
      table(["Period", "Runs", "Availability", "Error rate", "Errors by class", "p50", "p90", "p99", `${c.latencyPercentile} vs target`], [row("Overall", r.overall), ...r.periods.map((p) => row(`${p.month} ${p.region}`, p))], "Per month and region"),
      h("h2", {}, `Cloud-side incidents (${r.breaches.length})`),
      r.breaches.length ? table(["Opened", "Region", "Severity", "Ticket"], r.breaches.map((b) => [new Date(b.openedAt).toISOString().slice(0, 16).replace("T", " "), b.region, b.severity, h("a", { href: `#/tickets/${b.ticketId}` }, `#${b.ticketId} ${b.title}`)])) : h("p", { class: "muted" }, "None in this period."),
    );
  };
  await render();
  const el = h("section", {}, h("h1", {}, "Vendor SLA report"),
    h("form", { class: "filters", onsubmit: (e: Event) => (e.preventDefault(), void render()) }, aL, aI, eL, eI, lL, lI, h("button", { type: "submit" }, "Apply")),
    out);
  return { el };
}
