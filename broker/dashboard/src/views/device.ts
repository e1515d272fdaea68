import type { CommandProgress, CommandResponse, DiagnosisMessage, TelemetryMessage } from "../../../../shared/index.ts";
import type { DeviceRecord, DiagnosisRecord, HistoryPoint, TicketRecord } from "../../../store/types.ts";
import { latencyChart } from "../chart.ts";
import { ago, figures, h, num, table, time } from "../dom.ts";
import { responseLatencyMs } from "../../../../shared/probe-latency.ts";
import { FAULTS, audioLevel, health, networkRtt, statusText } from "../health.ts";
import { canAct, debounce, type Ctx, type View } from "../view.ts";

interface CommandLite {
  id: string;
  status: string;
  error?: { message: string } | null;
}

function telemetryFigures(t: TelemetryMessage | null): HTMLElement {
  const ai = t?.ai;
  const net = t?.samples.network;
  const audio = t?.samples.audio;
  const sys = t?.samples.system;
  const card = (title: string, rows: [string, string][]) => h("section", { class: "card" }, h("h3", {}, title), figures(rows));
  return h("div", { class: "cards" },
    card("Conversational AI", [
      ["Text answer", num(ai?.text?.total_ms, " ms")],
      ["Voice answer", num(ai?.voice?.total_ms, " ms")],
      ["First audio", num(ai?.voice?.first_audio_ms, " ms")],
      ["Cloud response", num(ai?.voice ? responseLatencyMs(ai.voice) : null, " ms", 1)],
      ["Status page", statusText(ai?.status_page?.status_indicator)],
      ["Measured", ai ? ago(ai.at) : "—"],
    ]),
    card("Network", [
      ["Verdict", net ? `${net.verdict}` : "—"],
      ["RTT", num(networkRtt(net), " ms", 1)],
      ["Loss", num(net?.icmp?.loss_pct ?? net?.targets[0]?.loss_pct, " %", 1)],
      ["Jitter", num(net?.icmp?.jitter_ms ?? net?.targets[0]?.jitter_ms, " ms", 1)],
      ["MOS", num(net?.voice?.mos, "", 2)],
      ["Wi-Fi", num(net?.interface?.wifi?.signal_dbm, " dBm")],
    ]),
    card("Audio", [
      ["Verdict", audio ? `${audio.verdict}` : "—"],
      ["Level", audioLevel(audio?.signal?.channel_stats[0]?.rms_dbfs)],
      ["Xruns", num(audio?.xruns_total)],
      ["Sound server", audio?.inventory?.sound_server ?? "—"],
    ]),
    card("System", [
      ["CPU", num(sys?.cpu_load_pct, " %", 1)],
      ["Memory", sys ? `${sys.memory_used_mb} / ${sys.memory_total_mb} MB` : "—"],
      ["Disk free", num(sys?.disk_free_mb, " MB")],
      ["Uptime", sys?.uptime_s != null ? `${Math.round(sys.uptime_s / 3600)} h` : "—"],
    ]),
  );
}

/** The verdict of one diagnosis with its evidence, steps and actions. */
export function verdictView(m: DiagnosisMessage, headingLevel: "h2" | "h3" = "h3"): HTMLElement {
  const v = m.verdict;
  const hl = health({ online: true, fault: v.fault, faultSummary: v.summary });
  return h("article", { class: `verdict ${hl.cls}`, "data-fault": v.fault },
    h(headingLevel, {}, h("span", { class: `badge ${hl.cls}` }, FAULTS[v.fault].title), " ", h("span", { class: "muted" }, `${time(m.ts)} · ${m.trigger}`)),
    h("p", { class: "summary" }, v.summary),
    v.error_code ? h("p", {}, h("strong", {}, "Error "), `${v.error_code.code} (${v.error_code.family ?? "no family"}): ${v.error_code.message}`) : null,
    v.evidence.length ? table(["Check", "Status", "Detail"], v.evidence.map((e) => [e.check, h("span", { class: `st st-${e.status}` }, e.status), e.detail]), "Evidence") : null,
    m.steps.length ? h("details", {}, h("summary", {}, `Steps tried (${m.steps.length})`), h("ol", {}, ...m.steps.map((s) => h("li", {}, `${s.name}: ${s.status} (${Math.round(s.duration_ms)} ms) — ${s.detail}`)))) : null,
    v.actions.length ? h("div", {}, h("strong", {}, "What to do"), h("ul", {}, ...v.actions.map((a) => h("li", {}, a)))) : null,
  );
}

/** Device page: figures, latency chart, diagnosis history, Run diagnostics with live progress, bundle download. */
export async function devicePage(ctx: Ctx, id: string): Promise<View> {
  const head = h("div");
  const figs = h("div");
  const chart = h("div");
  const diags = h("div");
  const tickets = h("div");
  const run = h("div", { class: "run", role: "status", "aria-live": "polite", id: "run-status" });
  let pending: { id: string; kind: "diagnose" | "bundle"; timer: ReturnType<typeof setTimeout> } | null = null;
  const runBtn = h("button", { type: "button", id: "run-diagnostics", class: "primary" }, "Run diagnostics");
  const bundleBtn = h("button", { type: "button", id: "collect-bundle" }, "Collect support bundle");

  const render = async () => {
    const [{ device }, { history }, { diagnoses }, t] = await Promise.all([
      ctx.api.get<{ device: DeviceRecord }>(`/api/devices/${encodeURIComponent(id)}`),
      ctx.api.get<{ history: HistoryPoint[] }>(`/api/devices/${encodeURIComponent(id)}/history?limit=300`),
      ctx.api.get<{ diagnoses: DiagnosisRecord[] }>(`/api/devices/${encodeURIComponent(id)}/diagnoses?limit=20`),
      ctx.api.get<{ tickets: TicketRecord[] }>(`/api/tickets?device=${encodeURIComponent(id)}&limit=20`),
    ]);
    const hl = health(device);
    head.replaceChildren(
      h("h1", {}, h("span", { class: `dot ${hl.cls}`, "aria-hidden": "true" }), ` ${device.id} `, h("span", { class: `badge ${hl.cls}`, id: "device-health" }, hl.label)),
      h("p", { class: "muted" }, [device.model, device.region, device.firmwareVersion && `firmware ${device.firmwareVersion}`, device.agentVersion && `agent ${device.agentVersion}`].filter(Boolean).join(" · "), ` · last seen ${ago(device.lastSeen)}`),
      device.faultSummary && device.fault !== "none" ? h("p", { class: "summary" }, device.faultSummary) : "",
    );
    figs.replaceChildren(telemetryFigures(device.telemetry));
    chart.replaceChildren(latencyChart(history, (document.querySelector("main")?.clientWidth ?? 900) - 80));
    diags.replaceChildren(...(diagnoses.length ? diagnoses.map((d) => verdictView(d.message)) : [h("p", { class: "muted" }, "No diagnosis yet.")]));
    tickets.replaceChildren(
      t.tickets.length
        ? table(["Ticket", "Severity", "Status", "Opened"], t.tickets.map((x) => [h("a", { href: `#/tickets/${x.id}` }, `#${x.id} ${x.title}`), h("span", { class: `badge sev-${x.severity}` }, x.severity), x.status, time(x.openedAt)]))
        : h("p", { class: "muted" }, "No tickets for this device."),
    );
  };

  const finish = (node: Node) => {
    if (pending) clearTimeout(pending.timer);
    pending = null;
    runBtn.disabled = false;
    bundleBtn.disabled = false;
    run.replaceChildren(node);
  };
  // a fast device's progress (even its verdict) can reach the page before the POST's reply names the
  // command: events seen while the request is in flight are kept and replayed once the id is known
  let early: { type: string; data: unknown }[] | null = null;
  const start = async (kind: "diagnose" | "bundle") => {
    runBtn.disabled = true;
    bundleBtn.disabled = true;
    run.replaceChildren(h("p", {}, kind === "diagnose" ? "Asking the device to run diagnostics…" : "Asking the device for a support bundle…"));
    early = [];
    try {
      const { command } = await ctx.api.post<{ command: CommandLite }>(`/api/devices/${encodeURIComponent(id)}/commands`, { name: kind, ttl_s: 120 });
      const timer = setTimeout(() => finish(h("p", { class: "error" }, "The device did not answer within 2 minutes; check that it is online and try again.")), 125_000);
      pending = { id: command.id, kind, timer };
      run.replaceChildren(h("p", {}, `Command ${command.id} sent; waiting for the device…`), h("progress", { max: 1, "aria-label": "progress" }));
      for (const e of early.splice(0)) onCommandEvent(e.type, e.data);
    } catch (err) {
      finish(h("p", { class: "error" }, (err as Error).message));
    } finally {
      early = null;
    }
  };
  runBtn.addEventListener("click", () => void start("diagnose"));
  bundleBtn.addEventListener("click", () => void start("bundle"));

  const onProgress = (p: CommandProgress) => {
    run.replaceChildren(h("p", {}, `${p.step}: ${p.detail}`), h("progress", { max: Math.max(1, p.total), value: p.done, "aria-label": `step ${p.done} of ${p.total}` }));
  };
  const onResponse = async (r: CommandResponse) => {
    if (!pending) return;
    if (r.status === "error") return finish(h("p", { class: "error" }, `The device refused or failed the command: ${r.error?.message ?? "no reason given"}`));
    if (pending.kind === "bundle") {
      const cmdId = pending.id;
      // the bundle arrives in chunks after the response; poll the command until the fleet has it whole
      for (let i = 0; i < 60; i++) {
        const { command } = await ctx.api.get<{ command: CommandLite & { bundle?: { bytes: number } | null } }>(`/api/commands/${cmdId}`);
        if (command.bundle) {
          const btn = h("button", { type: "button", id: "download-bundle" }, `Download bundle (${Math.round(command.bundle.bytes / 1024)} KB)`);
          btn.addEventListener("click", () => void ctx.api.download(`/api/commands/${cmdId}/bundle`, `bundle-${id}-${cmdId}.json`).catch((e: Error) => alert(e.message)));
          return finish(btn);
        }
        await new Promise((res) => setTimeout(res, 500));
      }
      return finish(h("p", { class: "error" }, "The device answered but its bundle did not arrive complete; try again."));
    }
    run.replaceChildren(h("p", {}, "The device answered; waiting for its verdict…"));
  };
  const onDiagnosis = (m: DiagnosisMessage) => {
    if (pending?.kind === "diagnose" && m.command_id === pending.id) {
      finish(h("div", { id: "run-verdict" }, h("h2", {}, "Verdict"), verdictView(m, "h3")));
    }
  };

  function onCommandEvent(type: string, data: unknown): void {
    const d = data as { device_id?: string; id?: string };
    if (type === "progress" && pending && d.id === pending.id) onProgress(data as CommandProgress);
    if (type === "response" && pending && d.id === pending.id) void onResponse(data as CommandResponse);
    if (type === "diagnosis" && d.device_id === id) onDiagnosis(data as DiagnosisMessage);
  }

  await render();
  const refresh = debounce(() => void render().catch(() => {}), 1000);
  const el = h("section", { class: "device" },
    h("p", {}, h("a", { href: "#/devices" }, "← Devices")),
    head,
    canAct(ctx.role) ? h("div", { class: "actions" }, runBtn, bundleBtn) : h("p", { class: "muted" }, "Running diagnostics needs a technician token."),
    run,
    h("h2", {}, "Latest figures"), figs,
    chart,
    h("h2", {}, "Tickets"), tickets,
    h("h2", {}, "Diagnosis history"), diags,
  );
  return {
    el,
    onEvent: (type, data) => {
      const d = data as { device_id?: string; id?: string; ticket?: { deviceId: string } };
      if (early && ["progress", "response", "diagnosis"].includes(type)) early.push({ type, data });
      onCommandEvent(type, data);
      if ((["state", "telemetry", "diagnosis"].includes(type) && d.device_id === id) || (type === "ticket" && d.ticket?.deviceId === id)) refresh();
    },
    dispose: () => {
      refresh.cancel();
      if (pending) clearTimeout(pending.timer);
    },
  };
}
