import type { Handlers } from "../api/register.ts";
import type { RouteDeps } from "./deps.ts";

/** Liveness, readiness (for load balancers and systemd) and the Prometheus scrape. */
export function healthHandlers(d: RouteDeps): Pick<Handlers, "healthz" | "readyz" | "metrics"> {
  return {
    healthz: () => ({ status: "ok" as const }),
    readyz: ({ reply }) => (d.ready() ? { status: "ready" } : reply.status(503).send({ status: "starting" })),
    metrics: async ({ reply }) => {
      const m = await d.metricsText();
      return reply.type(m.contentType).send(m.body);
    },
  };
}
