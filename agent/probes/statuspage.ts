import { z } from "zod";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import { getText } from "./http-get.ts";
import { clip, emptyRun, errorInfo, ms, transportCode, type ProbeContext } from "./run.ts";

// Statuspage v2 public API: /api/v2/status.json carries the page indicator, /api/v2/components.json the components.
const StatusJson = z.object({
  status: z.object({ indicator: z.string(), description: z.string().optional() }),
});
const ComponentsJson = z.object({
  components: z.array(z.object({ name: z.string(), status: z.string(), group: z.boolean().optional() })),
});

const INDICATORS = ["none", "minor", "major", "critical", "maintenance"] as const;

/** Reads a vendor's Statuspage v2 JSON: the indicator and which components are not operational. Never throws. */
export async function runStatusPageProbe(baseUrl: string, components: readonly string[], ctx: ProbeContext): Promise<ProbeRun> {
  const t0 = ctx.now();
  const run = emptyRun("status_page", "statuspage", ctx.wallNow());
  const base = baseUrl.replace(/\/+$/, "");
  try {
    const headers = { accept: "application/json" };
    const [statusRes, compRes] = await Promise.all([
      getText(`${base}/api/v2/status.json`, { signal: ctx.signal, headers }),
      getText(`${base}/api/v2/components.json`, { signal: ctx.signal, headers }).catch(() => null),
    ]);
    run.first_text_ms = ms(ctx.now() - t0);
    const statusText = statusRes.text;
    run.bytes_received += Buffer.byteLength(statusText);
    if (!statusRes.ok) {
      run.error = errorInfo(`http_${statusRes.status}`, `status page answered HTTP ${statusRes.status}`, [], { http_status: statusRes.status });
      run.result = "error";
      return run;
    }
    const status = StatusJson.safeParse(safeJson(statusText));
    if (!status.success) {
      run.error = errorInfo("invalid_status_page", "status.json is not Statuspage v2 JSON (no status.indicator); check cloud.status_page_url", []);
      run.result = "error";
      return run;
    }
    const ind = status.data.status.indicator;
    run.status_indicator = (INDICATORS as readonly string[]).includes(ind) ? (ind as (typeof INDICATORS)[number]) : null;
    run.answer = clip(status.data.status.description ?? ind, 500);
    if (compRes?.ok) {
      const compText = compRes.text;
      run.bytes_received += Buffer.byteLength(compText);
      const comps = ComponentsJson.safeParse(safeJson(compText));
      if (comps.success) {
        const wanted = new Set(components.map((c) => c.toLowerCase()));
        run.degraded_components = comps.data.components
          .filter((c) => !c.group && c.status !== "operational" && (wanted.size === 0 || wanted.has(c.name.toLowerCase())))
          .slice(0, 20)
          .map((c) => clip(`${c.name}: ${c.status}`, 100));
      }
    }
    run.result = "ok";
  } catch (err) {
    if (ctx.signal.aborted) {
      run.result = "timeout";
      run.error = errorInfo("probe_timeout", "the status page did not answer within its timeout", []);
    } else {
      const code = transportCode(err);
      run.result = code === "ECONNREFUSED" ? "refused" : "error";
      run.error = errorInfo(code, (err as Error).message, []);
    }
  }
  run.total_ms = ms(ctx.now() - t0);
  return run;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
