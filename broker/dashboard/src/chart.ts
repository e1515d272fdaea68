import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { responseLatencyMs } from "../../../shared/probe-latency.ts";
import type { HistoryPoint } from "../../store/types.ts";
import { h } from "./dom.ts";
import { networkRtt } from "./health.ts";

/**
 * Latency over time from a device's telemetry history: the AI text and voice probes' whole answers, the voice
 * answer's cloud response (first audio after the request: the vendor's figure), network RTT (ms).
 */
export function latencyChart(history: HistoryPoint[], width: number): HTMLElement {
  const pts = [...history].sort((a, b) => a.ts - b.ts);
  const box = h("figure", { class: "chart" }, h("figcaption", {}, "Latency over time (ms)"));
  if (pts.length < 2) {
    box.append(h("p", { class: "muted" }, "Not enough telemetry yet for a chart."));
    return box;
  }
  const data: uPlot.AlignedData = [
    pts.map((p) => p.ts / 1000),
    pts.map((p) => p.telemetry.ai?.text?.total_ms ?? null),
    pts.map((p) => p.telemetry.ai?.voice?.total_ms ?? null),
    pts.map((p) => (p.telemetry.ai?.voice ? responseLatencyMs(p.telemetry.ai.voice) : null)),
    pts.map((p) => networkRtt(p.telemetry.samples.network)),
  ];
  const opts: uPlot.Options = {
    width: Math.max(280, width),
    height: 220,
    series: [
      {},
      { label: "AI text", stroke: "#2563eb", width: 2, spanGaps: true },
      { label: "AI voice", stroke: "#9333ea", width: 2, spanGaps: true },
      { label: "Voice: cloud response", stroke: "#db2777", width: 2, dash: [6, 4], spanGaps: true },
      { label: "Network RTT", stroke: "#059669", width: 2, spanGaps: true },
    ],
    axes: [{}, { label: "ms" }],
  };
  const target = h("div", { role: "img", "aria-label": `Latency chart over ${pts.length} samples` });
  box.append(target);
  new uPlot(opts, data, target);
  return box;
}
