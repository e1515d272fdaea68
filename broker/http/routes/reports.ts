import { slaReport } from "../../reports/sla.ts";
import type { Handlers } from "../api/register.ts";
import type { RouteDeps } from "./deps.ts";

/** The vendor SLA report; commitments default to the fleet's and may be overridden per request. */
export function reportHandlers(d: RouteDeps): Pick<Handlers, "slaReport"> {
  return {
    slaReport: ({ query: q }) =>
      slaReport(
        d.store,
        {
          availabilityPct: q.availability_pct ?? d.sla.availabilityPct,
          errorRatePct: q.error_rate_pct ?? d.sla.errorRatePct,
          latencyMs: q.latency_ms ?? d.sla.latencyMs,
          latencyPercentile: q.latency_percentile ?? d.sla.latencyPercentile,
        },
        { from: q.from, to: q.to, region: q.region, now: d.now() },
      ),
  };
}
